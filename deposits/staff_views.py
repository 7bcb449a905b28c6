"""The centre's deposit pages (staff decide, regulators read): the overview of bank lines,
held money, refunds and alerts, and one section's deposits with forfeiture. Everything goes
through deposits.access: nothing of a section shows before its deadline — not its lines,
not its alerts, not its page (404, as for a section without deposits)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Organisation, Person
from deposits import access, decisions, positions, reconciliation, refunds, reports
from deposits.forms import MAX_REASON_CHARS, ForfeitForm, LineFilterForm, ReasonForm
from deposits.models import BankLine, Forfeiture, LineOutcome, RefundStatus
from deposits.views import refused
from ggzy import clock
from ggzy.errors import DomainError
from trading import access as trading_access
from trading.models import Section

LIST_LIMIT = 200  # rows per list on a page; the report exports every line


def overseer_refusal(request: HttpRequest) -> HttpResponse | None:
    """None if the person may see the overview; otherwise the refusal."""
    if access.oversees_money(request.user):
        return None
    return refused(
        request,
        reason=_("The deposits overview is for the trading centre's staff and regulators."),
        next_step=_("Bidders see their own deposits under My deposits."),
        link=(reverse("deposits:mine"), _("My deposits"))
        if access.is_bidder(request.user)
        else None,
    )


def _read_only(request: HttpRequest) -> HttpResponse:
    return refused(
        request,
        reason=_(
            "Regulators read the deposits; decisions on money are the hosting centre's staff's."
        ),
        next_step=_(
            "If a decision is wrong or missing, raise it with the centre: every decision is "
            "in the audit ledger with its reason."
        ),
        link=(reverse("deposits:staff"), _("Deposits overview")),
    )


@login_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    refusal = overseer_refusal(request)
    if refusal is not None:
        return refusal
    user = request.user
    lines = access.lines_for(user)
    chosen = LineFilterForm(request.GET or None)
    outcome = chosen.cleaned_data["outcome"] if chosen.is_valid() else ""
    shown = lines.filter(outcome=outcome) if outcome else lines
    all_refunds = access.refunds_for(user).select_related("section", "payee")
    today = refunds.today()
    pending = all_refunds.exclude(status=RefundStatus.PAID)
    counts = dict(lines.values_list("outcome").annotate(n=Count("pk")).order_by())
    context = {
        "filter": chosen,
        "outcome": outcome,
        "outcome_label": LineOutcome(outcome).label if outcome else "",
        "counts": [(value, label, counts.get(value, 0)) for value, label in LineOutcome.choices],
        "lines_total": sum(counts.values()),
        "lines": list(reports.line_rows(shown.order_by("-booked_at", "-pk")[:LIST_LIMIT])),
        "held": reports.held_lines(lines, limit=LIST_LIMIT),
        "pending": list(pending.order_by("due_by", "decided_at")[:LIST_LIMIT]),
        "pending_count": pending.count(),
        "overdue": pending.filter(due_by__lt=today).count(),
        "paid": list(
            all_refunds.filter(status=RefundStatus.PAID).order_by("-paid_at")[:LIST_LIMIT]
        ),
        "paid_count": all_refunds.filter(status=RefundStatus.PAID).count(),
        "alerts": list(
            access.alerts_for(user)
            .filter(resolved_at=None)
            .select_related("section")
            .order_by("-raised_at")[:LIST_LIMIT]
        ),
        "sections": _decided_sections(user),
        "today": today,
        "decides": access.decides_money(user),
        "limit": LIST_LIMIT,
        "books_check": reconciliation.last_result(),
    }
    return render(request, "deposits/staff.html", context)


def _decided_sections(user: Any) -> QuerySet[Section]:
    """Sections past their deadline whose deposits this person may open."""
    return (
        trading_access.sections_overseen_by(user)
        .filter(bid_deadline__lte=clock.now())
        .order_by("-bid_deadline")[:50]
    )


def _section_visible(request: HttpRequest, code: str) -> Section:
    """The section's deposits, or 404 — before its deadline for everyone, so that the page
    says nothing about who paid [E21, E27]."""
    section = trading_access.section_for(request.user, {"code": code})
    if not access.sees_section(request.user, section):
        raise Http404
    return section


@login_required
@require_safe
def section_page(request: HttpRequest, code: str) -> HttpResponse:
    section = _section_visible(request, code)
    held = positions.positions(section)
    organisations = Organisation.objects.in_bulk(list(held))
    forfeited = {f.bidder_id: f for f in Forfeiture.objects.filter(section=section)}
    rows = [
        {
            "organisation": organisations[bidder_id],
            "position": position,
            "forfeiture": forfeited.get(bidder_id),
        }
        for bidder_id, position in sorted(
            held.items(), key=lambda item: organisations[item[0]].name
        )
    ]
    lines = access.lines_for(request.user).filter(section=section).order_by("booked_at", "pk")
    context = {
        "section": section,
        "rows": rows,
        "lines": list(reports.line_rows(lines[:LIST_LIMIT])),
        "refunds": access.refunds_for(request.user)
        .filter(section=section)
        .select_related("payee")
        .order_by("due_by"),
        "decides": access.decides_section(request.user, section),
        "form": ForfeitForm(),
        "today": refunds.today(),
        "limit": LIST_LIMIT,
    }
    return render(request, "deposits/staff_section.html", context)


@login_required
@require_POST
def forfeit(request: HttpRequest, code: str) -> HttpResponse:
    section = _section_visible(request, code)
    if not access.decides_section(request.user, section):
        return _read_only(request)
    form = ForfeitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("deposits:staff_section", code=section.code)
    bidder = Organisation.objects.filter(
        pk=form.cleaned_data["bidder"], pk__in=list(positions.positions(section))
    ).first()
    if bidder is None:
        messages.error(request, _("That bidder has no deposit in this section: choose a row."))
        return redirect("deposits:staff_section", code=section.code)
    _decide(
        request,
        lambda: decisions.forfeit(
            section=section,
            bidder=bidder,
            reason=form.cleaned_data["reason"],
            actor=_person(request),
        ),
        _("Deposit forfeited. The decision and its reason are in the audit ledger."),
    )
    return redirect("deposits:staff_section", code=section.code)


def _line(request: HttpRequest, reference: str) -> BankLine:
    """A line the person may see (404 otherwise, as for one that does not exist)."""
    return get_object_or_404(
        access.lines_for(request.user).select_related("section"), reference=reference
    )


@login_required
@require_POST
def line_accept(request: HttpRequest, reference: str) -> HttpResponse:
    """Count money held for review towards the deposit, after checking why it came from
    another account [R26]."""
    line = _line(request, reference)
    if not access.decides_money(request.user):
        return _read_only(request)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("deposits:staff")
    _decide(
        request,
        lambda: decisions.held_accept(
            line=line, actor=_person(request), reason=form.cleaned_data["reason"]
        ),
        _("Accepted: the money counts towards the deposit; any excess stays held."),
    )
    return redirect("deposits:staff")


@login_required
@require_POST
def line_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Return held money to the account it came from (a refund, sent by the sweep)."""
    line = _line(request, reference)
    if not access.decides_money(request.user):
        return _read_only(request)
    _decide(
        request,
        lambda: decisions.held_return(line=line, actor=_person(request)),
        _("Refund decided: it is sent to the payer's account and listed under refunds due."),
    )
    return redirect("deposits:staff")


def _decide(request: HttpRequest, action: Any, success: str) -> None:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def _form_error(form: Any) -> str:
    if "reason" in form.errors:
        return _("Write the reason (at most %(limit)s characters): it is kept in the ledger.") % {
            "limit": MAX_REASON_CHARS
        }
    return _("The form was incomplete: reload the page and try again.")


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # login is required before
    return request.user
