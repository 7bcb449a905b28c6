"""The credit pages under /credit/ (namespace ``credit``): the public dishonest list, the
regulator's records (list, one record, enter, correct, revoke, import), and an
organisation's or person's own records. Every page asks accounts.credit_access first; every
change is one service call (accounts.credit)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import credit, credit_access, credit_import
from accounts.credit_forms import (
    CreditFilterForm,
    CreditImportForm,
    CreditRecordForm,
    DishonestSearchForm,
    RevokeForm,
)
from accounts.models import CreditRecord, Person
from ggzy.errors import DomainError

PAGE_SIZE = 50
_ENTER_ONLY = (
    "只有行政监督部门人员可以录入信用记录 / Only a supervising department's people enter credit "
    "records"
)


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _rows(records: Iterable[CreditRecord]) -> list[dict[str, Any]]:
    today = credit.today()
    return [
        {
            "record": record,
            "state": (state := credit.state(record, today)),
            "state_label": credit.STATE_LABELS[state],
        }
        for record in records
    ]


@require_safe
def dishonest(request: HttpRequest) -> HttpResponse:
    """The public list [R79]: organisations' published records in force; nothing about
    persons, no reason text beyond the decision's authority and number."""
    form = DishonestSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(credit.dishonest_list(query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "credit/dishonest.html", {"form": form, "page": page, "q": query})


@login_required
@require_safe
def records(request: HttpRequest) -> HttpResponse:
    if not credit_access.reads_in_force(request.user):
        raise PermissionDenied(
            "只有行政监督部门和交易中心可以查看信用记录 / Only regulators and the trading centre's "
            "staff read credit records"
        )
    chosen = credit_access.records_for(request.user)
    form = CreditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            chosen = chosen.filter(
                Q(organisation__name__icontains=q)
                | Q(organisation__credit_code=q.upper())
                | Q(person__username=q)
                | Q(decision_number__icontains=q)
            )
        if data["kind"]:
            chosen = chosen.filter(kind=data["kind"])
        if data["bars"]:
            chosen = chosen.filter(bars=data["bars"])
        if data["subject"] == "organisation":
            chosen = chosen.filter(organisation__isnull=False)
        elif data["subject"] == "person":
            chosen = chosen.filter(person__isnull=False)
        if data["state"]:
            chosen = credit.in_state(chosen, data["state"])
    page = Paginator(chosen.order_by("-entered_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "credit/records.html",
        {
            "form": form,
            "page": page,
            "rows": _rows(page.object_list),
            "query": query.urlencode(),
            "enters": credit_access.enters_records(request.user),
        },
    )


@login_required
@require_safe
def record(request: HttpRequest, pk: int) -> HttpResponse:
    found = credit_access.record_for(request.user, pk)
    return render(
        request,
        "credit/record.html",
        {
            "row": _rows([found])[0],
            "manages": credit_access.manages_record(request.user, found)
            and found.revoked_at is None,
            "revoke_form": RevokeForm(),
            "sees_entered_by": credit_access.reads_all(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    if not credit_access.enters_records(request.user):
        raise PermissionDenied(_ENTER_ONLY)
    form = CreditRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entered = credit.record_enter(entry=form.entry(), actor=_person(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The record is entered."))
            return redirect("credit:record", pk=entered.pk)
    return render(request, "credit/enter.html", {"form": form, "corrects": None})


@login_required
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a record and enter its replacement, both or neither."""
    found = credit_access.record_for(request.user, pk, manage=True)
    if request.method == "POST":
        form = CreditRecordForm(request.POST)
        revoke = RevokeForm(request.POST, prefix="revoke")
        if form.is_valid() and revoke.is_valid():
            try:
                entered = credit.record_correct(
                    record=found,
                    reason=revoke.cleaned_data["reason"],
                    entry=form.entry(),
                    actor=_person(request),
                )
            except DomainError as exc:
                target = form if exc.field in form.fields else revoke
                target.add_error(exc.field if exc.field in target.fields else None, exc.message)
            else:
                messages.success(request, _("The record is corrected: the old one is revoked."))
                return redirect("credit:record", pk=entered.pk)
    else:
        form, revoke = CreditRecordForm.from_record(found), RevokeForm(prefix="revoke")
    return render(
        request, "credit/enter.html", {"form": form, "revoke_form": revoke, "corrects": found}
    )


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    found = credit_access.record_for(request.user, pk, manage=True)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write why the record is revoked."))
        return redirect("credit:record", pk=found.pk)
    try:
        credit.record_revoke(
            record=found, reason=form.cleaned_data["reason"], actor=_person(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The record is revoked."))
    return redirect("credit:record", pk=found.pk)


@login_required
@require_http_methods(["GET", "POST"])
def import_records(request: HttpRequest) -> HttpResponse:
    if not credit_access.enters_records(request.user):
        raise PermissionDenied(_ENTER_ONLY)
    form = CreditImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = credit_import.import_file(
                upload,
                name=upload.name,
                actor=_person(request),
                skip_unknown=form.cleaned_data["skip_unknown"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if not result.errors:
                messages.success(
                    request,
                    _(
                        "%(entered)s record(s) entered, %(already)s already on record, "
                        "%(unknown)s skipped (not registered here)."
                    )
                    % {
                        "entered": result.entered,
                        "already": result.already,
                        "unknown": result.unknown,
                    },
                )
                return redirect("credit:records")
    return render(
        request,
        "credit/import.html",
        {
            "form": form,
            "result": result,
            "columns": (*credit_import.SUBJECT_COLUMNS, *credit_import.COLUMNS),
            "optional": credit_import.OPTIONAL,
        },
    )


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """The records about the person's organisation and about the person (any state): what
    the regulator decided, for how long, and whether it is published."""
    own = credit_access.own_records(request.user).order_by("-decided_on", "-pk")[: PAGE_SIZE * 4]
    return render(request, "credit/mine.html", {"rows": _rows(own)})
