"""The complaints pages: the list (mine, or the department's queue with its clocks), filing
one about a section, a complaint with its steps and clocks, and the actions of the
department and of the parties. Every page asks access.py first; refusals of a service
redirect back with the reason, as the draw pages do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.complaints import access, clocks, filing, handling, selectors
from supervision.complaints.forms import ComplaintForm, HandleForm, StatementForm, WithdrawForm
from supervision.complaints.models import OPEN, Complaint, ComplaintStatus, ComplaintStep

LIST_LIMIT = 200


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


@dataclass(frozen=True)
class Row:
    """A complaint as one reader may see it."""

    complaint: Complaint
    complainant: str  # the company, or "a potential bidder" before the deadline [E21]
    due: Any  # the running clock's due day (None when paused or closed)
    days_left: int | None  # working days left (negative: calendar days overdue)


def _complainant_label(user: Any, complaint: Complaint) -> str:
    if access.shows_complainant(user, complaint):
        return complaint.complainant.name
    return _("A potential bidder (hidden until the bid deadline)")


def _row(user: Any, complaint: Complaint) -> Row:
    due = complaint.due
    left = clocks.workdays_left(due, clocks.today()) if due is not None else None
    return Row(complaint, _complainant_label(user, complaint), due, left)


@login_required
@require_safe
def complaint_list(request: HttpRequest) -> HttpResponse:
    """My company's complaints, my projects', or the department's queue: overdue first."""
    user = request.user
    rows = [_row(user, complaint) for complaint in selectors.queue(user)[:LIST_LIMIT]]
    context = {
        "rows": rows,
        "counts": selectors.counts_for(user),
        "may_file": access.may_file(user),
    }
    return render(request, "complaints/list.html", context)


@login_required
def complaint_new(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_to_complain_about(request.user, code)
    form = ComplaintForm(request.POST or None, initial={"knew_on": clocks.today()})
    if request.method == "POST" and form.is_valid():
        try:
            complaint = filing.complaint_file(
                section=section, actor=_person(request), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Complaint %(number)s filed. The department decides on acceptance by %(due)s.")
                % {"number": complaint.number, "due": complaint.acceptance_due.isoformat()},
            )
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "complaints/new.html", {"section": section, "form": form})


def _step_actor(user: Any, complaint: Complaint, step: ComplaintStep) -> str:
    if step.by_complainant and not access.shows_complainant(user, complaint):
        return _("The complainant")
    if step.actor is None:
        return _("The platform")
    organisation = step.actor.organisation
    name = step.actor.display_name or step.actor.get_username()
    return f"{name} · {organisation.name}" if organisation else name


@login_required
@require_safe
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    complaint = access.complaint_for(user, pk)
    steps = complaint.steps.select_related("actor__organisation")
    context = {
        "complaint": complaint,
        "row": _row(user, complaint),
        "section": complaint.section,
        "steps": [(step, _step_actor(user, complaint, step)) for step in steps],
        "handles": access.handles(user, complaint),
        "is_complainant": access.is_complainant(user, complaint),
        "is_party": access.is_complainant(user, complaint) or access.is_respondent(user, complaint),
        "is_open": complaint.status in OPEN,
        "evidence": complaint.status == ComplaintStatus.EVIDENCE,
        "handle_form": HandleForm(),
        "statement_form": StatementForm(),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "complaints/detail.html", context)


def _act(request: HttpRequest, complaint: Complaint, action: Callable[[], Any], done: str) -> None:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@login_required
@require_POST
def complaint_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """The department's actions: accept, refuse, evidence asked/received, decide,
    suspend or resume the section."""
    complaint = access.complaint_for(request.user, pk, manage="regulator")
    form = HandleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action; a note may be at most 10,000 characters."))
        return redirect("complaints:detail", pk=complaint.pk)
    actor, note = _person(request), form.cleaned_data["note"]
    actions: dict[str, tuple[Callable[[], Any], str]] = {
        "accept": (
            lambda: handling.complaint_accept(complaint=complaint, actor=actor, note=note),
            _("Accepted: the 30-working-day decision clock runs."),
        ),
        "refuse": (
            lambda: handling.complaint_refuse(complaint=complaint, actor=actor, reason=note),
            _("Not accepted; the reason is recorded."),
        ),
        "request_evidence": (
            lambda: handling.evidence_request(complaint=complaint, actor=actor, note=note),
            _("Evidence requested: the decision clock is paused."),
        ),
        "evidence_received": (
            lambda: handling.evidence_receive(complaint=complaint, actor=actor, note=note),
            _("Evidence received: the decision clock runs again."),
        ),
        "decide": (
            lambda: handling.complaint_decide(
                complaint=complaint, actor=actor, outcome=form.cleaned_data["outcome"], text=note
            ),
            _("Decided."),
        ),
        "suspend": (
            lambda: handling.section_suspend(complaint=complaint, actor=actor),
            _("The section is suspended until you resume it."),
        ),
        "resume": (
            lambda: handling.section_resume(complaint=complaint, actor=actor, note=note),
            _("The section is resumed."),
        ),
    }
    action, done = actions[form.cleaned_data["action"]]
    _act(request, complaint, action, done)
    return redirect("complaints:detail", pk=complaint.pk)


@login_required
@require_POST
def complaint_statement(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = access.complaint_for(request.user, pk, manage="party")
    text = str(request.POST.get("text", ""))  # the service checks it and says what is wrong
    _act(
        request,
        complaint,
        lambda: filing.statement_add(complaint=complaint, actor=_person(request), text=text),
        _("Statement added."),
    )
    return redirect("complaints:detail", pk=complaint.pk)


@login_required
@require_POST
def complaint_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = access.complaint_for(request.user, pk, manage="complainant")
    reason = str(request.POST.get("reason", ""))  # the service checks it
    _act(
        request,
        complaint,
        lambda: filing.complaint_withdraw(
            complaint=complaint, actor=_person(request), reason=reason
        ),
        _("Complaint withdrawn."),
    )
    return redirect("complaints:detail", pk=complaint.pk)
