"""The bidder's pages: open sections, my bids and receipts, upload of a sealed .gbid."""

from __future__ import annotations

import json
import uuid
from importlib import metadata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
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


# The opening sheet's items as the sealing form asks for them: the section's read_items, in
# ggzy_core's order (docs/envelope.md, The opening sheet).
SHEET_FIELDS: dict[str, tuple[str | Promise, str]] = {
    "price": (gettext_lazy("Bid price (yuan)"), "text"),
    "duration_days": (gettext_lazy("Duration (calendar days)"), "number"),
    "quality": (gettext_lazy("Quality"), "text"),
    "project_manager": (gettext_lazy("Project manager"), "text"),
    "warranty": (gettext_lazy("Warranty"), "text"),
}


def _seal_messages() -> dict[str, object]:
    """What the sealing page's script says, in the page's language."""
    return {
        "chosen": _("%(count)s files, %(size)s"),
        "no_files": _("Choose the files of your bid (or a folder) first."),
        "no_key": _("Choose your SM2 private key file (.pem): the bid is signed with it."),
        "no_opening_key": _(
            "The section's opening key could not be fetched: reload the page and try again."
        ),
        "sealing": _("Sealing in this browser…"),
        "uploading": _("Uploading the sealed file…"),
        "done": _("Received: download the signed receipt"),
        "refused": _("Not submitted"),
        "worker_failed": _(
            "This browser could not run the sealing: use a current Chrome, Edge or Firefox, "
            "or seal with ggzy-bid"
        ),
        "network": _(
            "The connection broke off. Nothing is lost: the sealed bid stays in this browser. "
            "Press “Continue the upload” (or reload this page and press it) to go on from "
            "where it stopped — before the bid deadline."
        ),
        "nothing_pending": _("No sealed bid is waiting in this browser: seal it again."),
        "opening": _("Opening and checking…"),
        "opened": _("Every part checked: %(count)s files inside."),
        "signature_valid": _("valid: signed with this key"),
        "signature_unchecked": _(
            "not checked: this key is not the bidder's signing key (every part decrypted and "
            "authenticated)"
        ),
        "items": {name: str(label) for name, (label, _kind) in SHEET_FIELDS.items()},
    }


def _tool_version() -> str:
    """What a browser-sealed envelope names as its tool (client.tool_version)."""
    try:
        return f"ggzy-web {metadata.version('ggzy')}"
    except metadata.PackageNotFoundError:
        return "ggzy-web (unpackaged)"


# Sealing in the page hashes with hash-wasm's SM3, which is WebAssembly: compiling it needs
# 'wasm-unsafe-eval' (not 'unsafe-eval': JavaScript eval stays forbidden), on this page only.
@login_required
def upload_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        person = _bidder(request)
    except PermissionError:
        return redirect("accounts:dashboard")
    section = trading_access.section_for(request.user, {"code": code})
    live = access.own_bids(person).filter(section=section, status=BidStatus.RECEIVED).first()
    organisation = person.organisation
    if organisation is None:  # _bidder refuses it already; this tells the type checker
        return redirect("accounts:dashboard")
    wanted = set(section.read_items) | {"price"}
    context = {
        "section": section,
        "live": live,
        "deadline_ms": clock.epoch_ms(section.bid_deadline),
        "credit_code": organisation.credit_code,
        "key": active_key(organisation),
        "sheet_fields": [
            {"name": name, "label": label, "type": kind, "required": name == "price"}
            for name, (label, kind) in SHEET_FIELDS.items()
            if name in wanted
        ],
        "tool_version": _tool_version(),
        "seal_messages": _seal_messages(),
    }
    response = render(request, "bidding/upload.html", context)
    response._csp_update = {"script-src": ["'wasm-unsafe-eval'"]}  # type: ignore[attr-defined]
    return response


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
