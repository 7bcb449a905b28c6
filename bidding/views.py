"""The bidder's pages: open sections, my bids and receipts, upload of a sealed .gbid."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Person, Role
from accounts.services import active_key
from bidding import access, services
from bidding.models import BidStatus
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.http import client_address
from trading import access as trading_access
from trading.models import SectionStatus


def _bidder(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person) or user.role != Role.BIDDER or user.organisation is None:
        raise PermissionError
    return user


@login_required
def my_bids(request: HttpRequest) -> HttpResponse:
    try:
        person = _bidder(request)
    except PermissionError:
        messages.error(request, _("Only bidders submit bids."))
        return redirect("accounts:dashboard")
    now = clock.now()
    bids = access.own_bids(person).order_by("-received_at")
    open_sections = (
        trading_access.public_sections()
        .filter(status__in=[SectionStatus.PUBLISHED, SectionStatus.BIDDING], bid_deadline__gt=now)
        .order_by("bid_deadline")
    )
    live = {bid.section_id: bid for bid in bids if bid.status == BidStatus.RECEIVED}
    rows = [
        {
            "section": section,
            "bid": live.get(section.pk),
            "deadline_ms": clock.epoch_ms(section.bid_deadline),
        }
        for section in open_sections
    ]
    context = {
        "rows": rows,
        "bids": bids,
        "key": active_key(person.organisation) if person.organisation else None,
    }
    return render(request, "bidding/my_bids.html", context)


@login_required
def upload_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        person = _bidder(request)
    except PermissionError:
        return redirect("accounts:dashboard")
    section = trading_access.section_for(request.user, {"code": code})
    live = access.own_bids(person).filter(section=section, status=BidStatus.RECEIVED).first()
    context = {
        "section": section,
        "live": live,
        "deadline_ms": clock.epoch_ms(section.bid_deadline),
    }
    return render(request, "bidding/upload.html", context)


@login_required
def receipt_download(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    bid = access.bid_for(request.user, pk)
    documents = [services.receipt_document(receipt) for receipt in bid.receipts.all()]
    response = HttpResponse(
        json.dumps(documents, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="receipt-{bid.section.code}-{bid.pk}.json"'
    )
    return response


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    bid = access.bid_for(request.user, pk)
    try:
        services.bid_withdraw(
            bid=bid, person=_bidder(request), address=client_address(request.META)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Bid withdrawn; the signed withdrawal receipt is with your receipts.")
        )
    return redirect("bidding:my_bids")
