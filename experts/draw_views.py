"""The draw's pages (centre staff run the draw, the regulator reads it) and the expert's
answer to a call. Every page asks experts.access first; the names on a draw page are read
through experts.sealed, which ledgers each reading [L37]."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Person
from experts import access, sealed
from experts import draw as draws
from experts.forms import DrawRequestForm, NeedFormSet, SeatAnswerForm, wanted_of
from experts.models import Draw, Specialty
from experts.seats import seat_answer
from ggzy.errors import DomainError

LIST_LIMIT = 100


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


@login_required
@require_safe
def draws_page(request: HttpRequest) -> HttpResponse:
    """The draws a person may open, and (for staff) the sections to draw for."""
    if not access.oversees_draws(request.user):
        raise PermissionDenied(
            "专家抽取页面仅供交易中心工作人员和监督部门使用 / The expert draws are for the "
            "trading centre's staff and the supervising department"
        )
    context = {
        "sections": access.sections_for_draw(request.user)[:LIST_LIMIT],
        "draws": access.draws_for(request.user)[:LIST_LIMIT],
    }
    return render(request, "experts/draws.html", context)


@login_required
def draw_request(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_for_draw(request.user, code)
    form = DrawRequestForm(request.POST or None)
    needs = NeedFormSet(request.POST or None, prefix="needs")
    if request.method == "POST" and form.is_valid() and needs.is_valid():
        try:
            draw = draws.draw_request(
                section=section,
                wanted=wanted_of(needs),
                representatives=form.cleaned_data["representatives"],
                evaluation_on=form.cleaned_data["evaluation_on"],
                actor=_person(request),
                outside_city=form.cleaned_data["outside_city"],
                outside_min=form.cleaned_data["outside_min"] or 0,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Draw requested. Draw the committee when ready."))
            return redirect("experts:draw", pk=draw.pk)
    context = {
        "section": section,
        "form": form,
        "needs": needs,
        "codes": Specialty.objects.order_by("code"),
        "draws": access.draws_for(request.user).filter(section=section),
    }
    return render(request, "experts/draw_request.html", context)


def _draw_page(request: HttpRequest, draw: Draw, **extra: Any) -> HttpResponse:
    context = {
        "draw": draw,
        "section": draw.section,
        "needs": draw.needs.select_related("specialty"),
        "seats": sealed.names_viewed(draw=draw, actor=_person(request)),
        "exclusions": sealed.exclusions(draw),
        "runs": access.runs_draws(request.user, draw.section),
        "may_reveal": sealed.may_reveal(draw),
        "revealed": sealed.revealed(draw),
        **extra,
    }
    return render(request, "experts/draw.html", context)


@login_required
@require_safe
def draw_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _draw_page(request, access.draw_for(request.user, pk))


@login_required
@require_POST
def draw_run(request: HttpRequest, pk: int) -> HttpResponse:
    draw = access.draw_for(request.user, pk, manage=True)
    try:
        drawn = draws.draw_run(draw=draw, actor=_person(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Committee drawn: %(seats)d seats. The members have been called.")
            % {"seats": len(drawn)},
        )
    return redirect("experts:draw", pk=draw.pk)


@login_required
@require_safe
def draw_replay(request: HttpRequest, pk: int) -> HttpResponse:
    draw = access.draw_for(request.user, pk)
    try:
        replayed = sealed.replay_check(draw)
    except DomainError as exc:
        return _draw_page(request, draw, replay_error=exc.message)
    return _draw_page(request, draw, replayed=replayed)


@login_required
@require_POST
def draw_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    draw = access.draw_for(request.user, pk, manage=True)
    try:
        sealed.reveal(draw=draw, actor=_person(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The draw's secret and pool are in the audit ledger: anyone may replay it.")
        )
    return redirect("experts:draw", pk=draw.pk)


@login_required
@require_safe
def my_seats(request: HttpRequest) -> HttpResponse:
    if not access.is_expert(request.user):
        raise PermissionDenied(
            "此页面列出专家本人被抽取的席位 / This page lists an expert's own seats"
        )
    return render(
        request, "experts/my_seats.html", {"seats": access.seats_of(request.user)[:LIST_LIMIT]}
    )


@login_required
def seat_page(request: HttpRequest, pk: int) -> HttpResponse:
    seat = access.seat_for(request.user, pk)
    form = SeatAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            seat_answer(
                seat=seat,
                accept=form.accept,
                actor=_person(request),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Thank you: your answer is recorded.")
                if form.accept
                else _("Your decline and its reason are recorded; a backup is being called."),
            )
            return redirect("experts:seat", pk=seat.pk)
    return render(request, "experts/seat.html", {"seat": seat, "form": form})
