"""Who may see and do what with draws and seats: the one access helper for the experts types.

A draw's seats name the committee, and the names are secret until the result is set [L37]:
only the hosting centre's staff (who run the draw) and the supervising department see a draw
at all; anyone else gets 404, as for a draw that does not exist. Who is the section's staff
or regulator is trading.access's decision (``is_overseer``); a platform superuser it also
admits is not told who sits on a committee. An expert sees only their own seats, and only
once called (a backup standing by learns of the seat when it is called).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role
from experts.models import Draw, Evaluation, Member, Query, Seat, SeatStatus
from ggzy import clock
from trading import access as trading_access
from trading.models import Project, Section, SectionStatus

# Sections listed for a draw: past the deadline (the bidders to avoid are known) and not yet
# evaluated. The request page itself leaves the rules to experts.draw.draw_request.
DRAWING = (SectionStatus.OPENING, SectionStatus.EVALUATION)

_RUN_ONLY = "只有交易中心工作人员可以抽取专家 / Only the trading centre's staff run expert draws"


def _role(user: Any) -> str:
    return str(getattr(user, "role", "")) if user.is_authenticated else ""


def is_section_staff(user: Any, project: Project) -> bool:
    """The hosting centre's staff (trading.access.is_overseer, less a superuser's pass)."""
    return bool(
        _role(user) == Role.STAFF
        and trading_access.is_overseer(user, project)
        and getattr(user, "organisation_id", None) == project.centre_id
    )


def is_section_regulator(user: Any, project: Project) -> bool:
    """The supervising department's people (trading.access.is_overseer, less a superuser's
    pass)."""
    return bool(
        _role(user) == Role.REGULATOR
        and trading_access.is_overseer(user, project)
        and getattr(user, "organisation_id", None) == project.regulator_id
    )


def sees_draws(user: Any, section: Section) -> bool:
    project = section.project
    return is_section_staff(user, project) or is_section_regulator(user, project)


def runs_draws(user: Any, section: Section) -> bool:
    return bool(user.is_active and is_section_staff(user, section.project))


def oversees_draws(user: Any) -> bool:
    """Centre staff and regulators: the draws page (each draw still checked above)."""
    return _role(user) in (Role.STAFF, Role.REGULATOR)


def draw_for(user: Any, pk: Any, *, manage: bool = False) -> Draw:
    """A draw its section's staff and regulator may see (404 for anyone else); only the
    staff may act on it (403 for the regulator)."""
    try:
        draw = Draw.objects.select_related("section__project", "requested_by").get(pk=pk)
    except (Draw.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not sees_draws(user, draw.section):
        raise Http404
    if manage and not runs_draws(user, draw.section):
        raise PermissionDenied(_RUN_ONLY)
    return draw


def section_for_draw(user: Any, code: str) -> Section:
    """A section whose committee this person may request: its centre's staff; the regulator
    may see but not request (403); anyone else gets 404."""
    section = trading_access.section_for(user, {"code": code})
    if not sees_draws(user, section):
        raise Http404
    if not runs_draws(user, section):
        raise PermissionDenied(_RUN_ONLY)
    return section


def sections_for_draw(user: Any) -> QuerySet[Section]:
    """The sections this centre's staff may draw a committee for: past the deadline, not yet
    evaluated, soonest deadline last."""
    if _role(user) != Role.STAFF or not user.is_active:
        return Section.objects.none()
    return (
        trading_access.sections_overseen_by(user)
        .filter(
            project__centre_id=user.organisation_id,
            bid_deadline__lte=clock.now(),
            status__in=DRAWING,
        )
        .order_by("-bid_deadline", "pk")
    )


def draws_for(user: Any) -> QuerySet[Draw]:
    """The draws this person may open: their centre's (staff) or department's (regulator)."""
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    draws = Draw.objects.select_related("section__project").order_by("-requested_at", "-pk")
    if organisation_id is None:
        return draws.none()
    if _role(user) == Role.STAFF:
        return draws.filter(section__project__centre_id=organisation_id)
    if _role(user) == Role.REGULATOR:
        return draws.filter(section__project__regulator_id=organisation_id)
    return draws.none()


def is_expert(user: Any) -> bool:
    return _role(user) == Role.EXPERT


def seats_of(user: Any) -> QuerySet[Seat]:
    """The signed-in expert's own seats, once called (never another expert's)."""
    if not is_expert(user):
        return Seat.objects.none()
    return (
        Seat.objects.filter(expert__person_id=user.pk)
        .exclude(status=SeatStatus.STANDBY)
        .select_related("draw__section__project", "need__specialty")
        .order_by("-called_at", "-pk")
    )


def seat_for(user: Any, pk: Any) -> Seat:
    """One of the signed-in expert's own called seats; 404 for anyone else, as for a seat
    that does not exist."""
    try:
        return seats_of(user).get(pk=pk)
    except (Seat.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# --- Evaluations -------------------------------------------------------------------------
# A committee member sees their evaluation: the bids, their own scores, the report once
# concluded. The section's staff and regulator watch its progress (counts, never a member's
# points before the conclusion) and read the report. Anyone else: 404. A bidder sees only
# the clarification requests put to its own organisation [R52].


def evaluation_for(user: Any, pk: Any) -> tuple[Evaluation, Member | None]:
    """The evaluation and the person's seat on it (None for its staff and regulator)."""
    try:
        evaluation = Evaluation.objects.select_related("section__project", "draw").get(pk=pk)
    except (Evaluation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    member = evaluation.members.filter(person_id=user.pk).first() if user.is_authenticated else None
    if member is None and not sees_draws(user, evaluation.section):
        raise Http404
    return evaluation, member


def member_for(user: Any, pk: Any) -> tuple[Evaluation, Member]:
    """Only a member acts on an evaluation: its staff and regulator get 403, others 404."""
    evaluation, member = evaluation_for(user, pk)
    if member is None:
        raise PermissionDenied(
            "只有评标委员会成员可以评审 / Only the committee's members evaluate; staff and "
            "regulators watch the progress"
        )
    return evaluation, member


def evaluations_of(user: Any) -> QuerySet[Evaluation]:
    """The evaluations the person sits on."""
    if not user.is_authenticated:
        return Evaluation.objects.none()
    return (
        Evaluation.objects.filter(members__person_id=user.pk)
        .select_related("section__project")
        .order_by("-opened_at")
    )


def queries_of(user: Any) -> QuerySet[Query]:
    """Clarification requests put to the person's own bidding organisation [R52]."""
    if _role(user) != Role.BIDDER or getattr(user, "organisation_id", None) is None:
        return Query.objects.none()
    return (
        Query.objects.filter(bid__organisation_id=user.organisation_id)
        .select_related("evaluation__section", "bid")
        .order_by("-asked_at")
    )


def query_for(user: Any, pk: Any) -> Query:
    try:
        return queries_of(user).get(pk=pk)
    except (Query.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
