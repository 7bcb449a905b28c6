"""What experts puts on the workbench (accounts/workbench.py): an expert's calls to confirm,
evaluations to score and reports to sign; the centre's committees to request and draws to
run; a bidder's clarification requests from a committee [R52].

Through experts.access only: an expert sees its own seats and evaluations, the centre its
own sections' draws (committee names stay sealed [L37]: the panels name sections, never
members), a bidder the requests put to its own organisation."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from experts import access
from experts.models import DrawStatus, EvaluationStatus, SeatStatus

LISTED_MAX = 20


def expert_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    calls = [
        workbench.Item(
            _("Call to evaluate %(code)s") % {"code": seat.draw.section.code},
            reverse("experts:seat", kwargs={"pk": seat.pk}),
            workbench.state_of(seat.answer_by, now),
            seat.answer_by,
            _("Confirm or decline, with your reason, before the time runs out."),
        )
        for seat in access.seats_of(person).filter(status=SeatStatus.CALLED)[:LISTED_MAX]
    ]
    work = []
    evaluations = access.evaluations_of(person).exclude(status=EvaluationStatus.FINISHED)
    for evaluation in evaluations[:LISTED_MAX]:
        member = evaluation.members.filter(person_id=person.pk).first()
        if member is None:
            continue
        url = reverse("experts:evaluation", kwargs={"pk": evaluation.pk})
        code = evaluation.section.code
        if evaluation.status == EvaluationStatus.SCORING and member.submitted_at is None:
            work.append(
                workbench.Item(
                    _("Score the bids of %(code)s") % {"code": code},
                    url,
                    workbench.state_of(evaluation.due_at, now),
                    evaluation.due_at,
                    _("Submit your scores before the scoring closes."),
                )
            )
        elif evaluation.status == EvaluationStatus.SIGNING and member.signed_at is None:
            work.append(
                workbench.Item(
                    _("Sign the report of %(code)s") % {"code": code},
                    url,
                    workbench.state_of(evaluation.signing_due, now),
                    evaluation.signing_due,
                    _("Sign, or write your reasons for disagreeing [R53]."),
                )
            )
        else:
            work.append(
                workbench.Item(
                    _("Evaluation of %(code)s") % {"code": code},
                    url,
                    workbench.INFO,
                    None,
                    _("Your part is done: waiting for the other members."),
                )
            )
    return [
        workbench.Panel(
            "calls",
            _("Calls to confirm"),
            calls,
            order=10,
            empty=_("No call waits for your answer."),
            link=(reverse("experts:my_seats"), _("My calls to evaluate")),
        ),
        workbench.Panel(
            "evaluations",
            _("Evaluations and reports"),
            work,
            order=20,
            empty=_("No evaluation waits for you."),
            link=(reverse("experts:my_evaluations"), _("My evaluations")),
        ),
    ]


def _day_state(moment: dt.datetime, now: dt.datetime) -> str:
    """Work that falls due on the day it arises: due that day, late from the next."""
    return workbench.state_of(workbench.today(moment), now)


def centre_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    draws = list(access.draws_for(person)[:200])
    drawn_sections = {draw.section_id for draw in draws}
    items = [
        workbench.Item(
            _("Run the expert draw for %(code)s") % {"code": draw.section.code},
            reverse("experts:draw", kwargs={"pk": draw.pk}),
            _day_state(draw.requested_at, now),
            draw.requested_at,
            _("Requested: draw the committee with avoidance [R45, R46]."),
        )
        for draw in draws
        if draw.status == DrawStatus.REQUESTED
    ]
    items += [
        workbench.Item(
            _("Request the committee for %(code)s") % {"code": section.code},
            reverse("experts:draw_request", kwargs={"code": section.code}),
            _day_state(section.bid_deadline, now),
            section.bid_deadline,
            _("Opened: the evaluation needs a committee drawn at random [R45]."),
        )
        for section in access.sections_for_draw(person)[:LISTED_MAX]
        if section.pk not in drawn_sections
    ]
    return [
        workbench.Panel(
            "draws",
            _("Expert draws to run"),
            items[:LISTED_MAX],
            order=20,
            empty=_("No committee to draw."),
            link=(reverse("experts:draws"), _("Expert draws")),
        )
    ]


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    queries = [
        workbench.Item(
            _("Clarification requested on our bid for %(code)s")
            % {"code": query.evaluation.section.code},
            reverse("experts:my_queries"),
            workbench.DUE_TODAY,
            None,
            _("The committee asks [R52]: answer in writing, within the scope of your bid."),
        )
        for query in access.queries_of(person).filter(answered_at__isnull=True)[:LISTED_MAX]
    ]
    if not queries:
        return []
    return [workbench.Panel("queries", _("Questions from the committee"), queries, order=5)]


def register() -> None:
    workbench.register(expert_panels, roles=[Role.EXPERT])
    workbench.register(centre_panels, roles=[Role.STAFF])
    workbench.register(bidder_panels, roles=[Role.BIDDER])
