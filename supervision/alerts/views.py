"""The alerts pages: the list (filters; open first), an alert with its evidence and its case,
and the case actions (POST). Every page asks supervision.alerts.access first."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Person
from ggzy.errors import DomainError
from supervision import opaque_ids, readings
from supervision.alerts import access, workflow
from supervision.alerts.forms import AlertFilterForm, ConclusionForm, NoteForm
from supervision.alerts.models import Alert, AlertStatus
from supervision.models import LedgerEntry

LIST_LIMIT = 200

# Open first, then under investigation, then closed.
_STATUS_ORDER = Case(
    When(status=AlertStatus.OPEN, then=Value(0)),
    When(status=AlertStatus.INVESTIGATING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def ledger_url(sequence: int) -> str:
    """A link to one ledger entry in the portal's ledger search."""
    base = reverse("supervision:ledger")
    # By its link id, not its number: a number counts the hidden entries before it [E21].
    return f"{base}?entry={opaque_ids.opaque_id(LedgerEntry, int(sequence))}"


@login_required
@require_safe
def alerts_page(request: HttpRequest) -> HttpResponse:
    if not access.sees_alerts(request.user):
        raise Http404
    form = AlertFilterForm(request.GET or None)
    alerts = access.alerts_for(request.user)
    if form.is_valid():
        if form.cleaned_data["status"]:
            alerts = alerts.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["rule"]:
            alerts = alerts.filter(rule=form.cleaned_data["rule"])
        if form.cleaned_data["section"]:
            alerts = alerts.filter(sections__code=form.cleaned_data["section"])
    context = {
        "form": form,
        "alerts": alerts.annotate(status_order=_STATUS_ORDER).order_by(
            "status_order", "-raised_at", "-pk"
        )[:LIST_LIMIT],
    }
    return render(request, "alerts/list.html", context)


def _evidence(alert: Alert) -> dict[str, Any]:
    """The evidence as the page shows it: bids by number and bidder (never their opaque
    id), documents by name and SM3, ledger entries as links."""
    evidence = alert.evidence or {}
    own = alert.section.code if alert.section else ""
    bids = [
        {
            "section": bid.get("section") or own,
            "number": bid.get("number"),
            "organisation": bid.get("organisation", ""),
            "name": bid.get("name", ""),
            "price": bid.get("price", ""),
        }
        for bid in evidence.get("bids", [])
    ]
    values = evidence.get("values", {})
    return {
        "bids": bids,
        "documents": evidence.get("documents", []),
        "values": [
            (name, _readable(value), not isinstance(value, str | int | float))
            for name, value in (sorted(values.items()) if isinstance(values, dict) else [])
        ],
        "ledger": [
            {"sequence": sequence, "url": ledger_url(sequence)}
            for sequence in evidence.get("ledger", [])
        ],
    }


def _readable(value: Any) -> str:
    """A compared value as text: lists and mappings as indented JSON, not Python's repr."""
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


def _alert_page(
    request: HttpRequest, alert: Alert, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "alert": alert,
        "evidence": _evidence(alert),
        "sections": alert.sections.select_related("project").order_by("bid_deadline", "pk"),
        "organisations": alert.organisations.order_by("credit_code"),
        "steps": [
            {"step": step, "url": ledger_url(step.ledger_sequence)}
            for step in alert.steps.select_related("person")
        ],
        "handles": access.handles(request.user, alert),
        "conclusion_form": forms.get("conclusion_form") or ConclusionForm(),
        "note_form": forms.get("note_form") or NoteForm(),
    }
    return render(request, "alerts/detail.html", context, status=status)


@login_required
@require_safe
def alert_page(request: HttpRequest, pk: int) -> HttpResponse:
    alert = access.alert_for(request.user, pk)
    # The evidence names addresses, accounts and machines: reading it is on record [E49].
    readings.viewed(
        reader=request.user, what="alert_viewed", target=alert, data={"rule": alert.rule}
    )
    return _alert_page(request, alert)


def _refused(request: HttpRequest, alert: Alert, exc: DomainError, **forms: Any) -> HttpResponse:
    messages.error(request, exc.message)
    status = 409 if exc.code == "conflict" else 422
    return _alert_page(request, alert, status=status, **forms)


@login_required
@require_POST
def alert_investigate(request: HttpRequest, pk: int) -> HttpResponse:
    alert = access.alert_for(request.user, pk, manage=True)
    try:
        workflow.alert_investigate(alert=alert, actor=_person(request))
    except DomainError as exc:
        return _refused(request, alert, exc)
    messages.success(request, _("The investigation has started; the case is yours."))
    return redirect("alerts:detail", pk=alert.pk)


@login_required
@require_POST
def alert_close(request: HttpRequest, pk: int) -> HttpResponse:
    alert = access.alert_for(request.user, pk, manage=True)
    form = ConclusionForm(request.POST)
    if not form.is_valid():
        return _alert_page(request, alert, status=422, conclusion_form=form)
    try:
        workflow.alert_close(
            alert=alert, actor=_person(request), conclusion=form.cleaned_data["conclusion"]
        )
    except DomainError as exc:
        return _refused(request, alert, exc, conclusion_form=form)
    messages.success(request, _("The case is closed with its conclusion."))
    return redirect("alerts:detail", pk=alert.pk)


@login_required
@require_POST
def alert_note(request: HttpRequest, pk: int) -> HttpResponse:
    alert = access.alert_for(request.user, pk, manage=True)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _alert_page(request, alert, status=422, note_form=form)
    try:
        workflow.alert_note(alert=alert, actor=_person(request), note=form.cleaned_data["note"])
    except DomainError as exc:
        return _refused(request, alert, exc, note_form=form)
    messages.success(request, _("Note added."))
    return redirect("alerts:detail", pk=alert.pk)
