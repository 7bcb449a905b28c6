"""The bidder's deposit pages: my deposits, the payment notice of one section, the basic
account. A bidder sees its own organisation's money only — in every section, whoever else
has paid there: the notice of a section is always its own (empty if it has paid nothing),
never another organisation's [E21, E27]."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import access as accounts_access
from accounts.models import Person
from deposits import collection, positions, reports
from deposits.access import is_bidder, oversees_money
from deposits.forms import BasicAccountForm
from deposits.models import (
    BankLine,
    BasicAccount,
    BookAccount,
    Guarantee,
    LineDirection,
    Refund,
    SubAccount,
)
from ggzy import clock
from ggzy.errors import DomainError
from trading import access as trading_access
from trading.models import Section

MAX_OPEN_SECTIONS = 50  # sections taking deposits listed on "my deposits" (soonest first)


def refused(
    request: HttpRequest, *, reason: str, next_step: str, link: tuple[str, str] | None = None
) -> HttpResponse:
    """A 403 that says why and what to do next (Django's own 403 page says neither)."""
    return render(
        request,
        "deposits/refused.html",
        {"reason": reason, "next_step": next_step, "link": link},
        status=403,
    )


def _own_organisation(request: HttpRequest) -> Person | HttpResponse:
    """The signed-in bidder, or the refusal for anyone else."""
    user = request.user
    if isinstance(user, Person) and is_bidder(user):
        return user
    if oversees_money(user):
        return refused(
            request,
            reason=_("This page shows a bidder's own deposits."),
            next_step=_("Centre staff and regulators see deposits on the deposits overview."),
            link=(reverse("deposits:staff"), _("Deposits overview")),
        )
    return refused(
        request,
        reason=_("Only the people of a bidder organisation pay bid deposits."),
        next_step=_(
            "If your company bids, ask its administrator to add you to its organisation "
            "on this platform."
        ),
    )


@login_required
@require_safe
def my_deposits(request: HttpRequest) -> HttpResponse:
    person = _own_organisation(request)
    if isinstance(person, HttpResponse):
        return person
    organisation = person.organisation
    assert organisation is not None  # nosec B101 # is_bidder checked it
    now = clock.now()
    taking = list(
        trading_access.public_sections()
        .filter(status__in=collection.TAKING_DEPOSITS, bid_deadline__gt=now)
        .order_by("bid_deadline", "pk")[:MAX_OPEN_SECTIONS]
    )
    mine = (
        Section.objects.filter(
            Q(pk__in=SubAccount.objects.filter(bidder=organisation).values("section"))
            | Q(pk__in=BookAccount.objects.filter(organisation=organisation).values("section"))
            | Q(pk__in=Guarantee.objects.filter(bidder=organisation).values("section"))
            | Q(pk__in=Refund.objects.filter(payee=organisation).values("section"))
        )
        .exclude(pk__in=[section.pk for section in taking])
        .select_related("project")
        .order_by("-bid_deadline", "pk")
    )
    rows = [
        {"section": section, "position": positions.of(section, organisation), "open": True}
        for section in taking
    ] + [
        {"section": section, "position": positions.of(section, organisation), "open": False}
        for section in mine
    ]
    context = {
        "rows": rows,
        "basic": BasicAccount.objects.filter(organisation=organisation).first(),
        "limit": MAX_OPEN_SECTIONS,
        "at_limit": len(taking) == MAX_OPEN_SECTIONS,
    }
    return render(request, "deposits/my_deposits.html", context)


@login_required
@require_safe
def notice(request: HttpRequest, code: str) -> HttpResponse:
    """The payment notice (缴纳通知): what to pay, where, by when — and what has arrived."""
    section = trading_access.section_for(request.user, {"code": code})
    person = _own_organisation(request)
    if isinstance(person, HttpResponse):
        return person
    organisation = person.organisation
    assert organisation is not None  # nosec B101 # is_bidder checked it
    own_lines = BankLine.objects.filter(
        section=section, bidder=organisation, direction=LineDirection.CREDIT
    ).order_by("booked_at", "pk")
    context: dict[str, Any] = {
        "section": section,
        "organisation": organisation,
        "position": positions.of(section, organisation),
        "sub": SubAccount.objects.filter(section=section, bidder=organisation).first(),
        "basic": BasicAccount.objects.filter(organisation=organisation).first(),
        "taking": section.status in collection.TAKING_DEPOSITS
        and clock.now() < section.bid_deadline,
        "rows": list(reports.line_rows(own_lines)),
        "refunds": Refund.objects.filter(section=section, payee=organisation).order_by(
            "decided_at"
        ),
        "bank_name": settings.BANK_NAME,
        "collection_name": settings.BANK_COLLECTION_NAME,
        "deadline_ms": clock.epoch_ms(section.bid_deadline),
    }
    return render(request, "deposits/notice.html", context)


@login_required
@require_POST
def sub_account(request: HttpRequest, code: str) -> HttpResponse:
    """Give the bidder its virtual sub-account for the section (once; asking again shows it)."""
    section = trading_access.section_for(request.user, {"code": code})
    person = _own_organisation(request)
    if isinstance(person, HttpResponse):
        return person
    assert person.organisation is not None  # nosec B101 # is_bidder checked it
    try:
        collection.sub_account_for(section=section, bidder=person.organisation, actor=person)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Your sub-account for this section is below. Pay the deposit into it."),
        )
    return redirect("deposits:notice", code=section.code)


@login_required
def basic_account(request: HttpRequest) -> HttpResponse:
    """Register or change the basic account deposits must come from [R26]: the
    organisation's administrators only; its other people read it."""
    person = _own_organisation(request)
    if isinstance(person, HttpResponse):
        return person
    organisation = person.organisation
    assert organisation is not None  # nosec B101 # is_bidder checked it
    current = BasicAccount.objects.filter(organisation=organisation).first()
    may_manage = accounts_access.can_manage_organisation(person, organisation)
    if request.method == "POST" and not may_manage:
        return refused(
            request,
            reason=_("Only your organisation's administrators register its basic account."),
            next_step=_("Ask one of them to register or change it."),
            link=(reverse("deposits:basic_account"), _("Basic account")),
        )
    initial = (
        {"number": current.number, "name": current.name, "bank": current.bank}
        if current
        else {"name": organisation.name}
    )
    form = BasicAccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            collection.basic_account_register(
                organisation=organisation, actor=person, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Basic account registered. Deposits paid from it count; money from any "
                    "other account is held for review."
                ),
            )
            return redirect("deposits:basic_account")
    context = {
        "organisation": organisation,
        "current": current,
        "form": form,
        "may_manage": may_manage,
    }
    return render(request, "deposits/basic_account.html", context)
