"""The world's expert draw, made once the deadline has passed (before it no draw can exist:
draw_request refuses): four experts drawn as members, the world's "expert" person one of
them, each seat called."""

from __future__ import annotations

from typing import Any

from accounts.models import Person, Role
from bidding.models import Bid
from experts import draw as draws
from experts import evaluation as evaluations
from experts import scoring, seats
from experts.models import Draw, Expert, Specialty
from ggzy import clock
from tests.factories import PersonFactory
from trading.models import Section


def drawn(section: Section, expert: Person, host: Person) -> dict[str, Any]:
    water, _ = Specialty.objects.get_or_create(code="A08", defaults={"name": "水利工程"})
    library = [
        Expert.objects.create(
            number=f"W{index:04d}",
            name=f"专家{index}",
            phone="13800000000",
            region="320100",
            title="高级工程师",
            practice_since=2000,
            person=expert
            if index == 0
            else PersonFactory.create(username=f"world-expert-{index}", role=Role.EXPERT),
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        for index in range(4)
    ]
    for member in library:
        member.specialties.add(water)
    draw = draws.draw_request(
        section=section,
        wanted=[draws.Wanted(water, 4, backups=0)],
        representatives=1,
        evaluation_on=clock.now().date(),
        actor=host,
    )
    draws.draw_run(draw=draw, actor=host)
    return {"draw": draw, "seat": draw.seats.get(expert=library[0])}


def evaluating(section: Section, draw: Draw, host: Person, bidder_bid: Bid) -> dict[str, Any]:
    """Once the hall closed: every member confirms, a representative of the tenderee (not
    the world's "tenderee" person) is named, the evaluation opens, and the world's expert
    asks the bidder a clarification [R52]."""
    for seat in draw.seats.select_related("expert__person"):
        assert seat.expert.person is not None
        seats.seat_answer(seat=seat, accept=True, actor=seat.expert.person)
    representative = PersonFactory.create(
        username="representative",
        organisation=section.project.tenderee,
        role=Role.TENDEREE,
    )
    evaluation = evaluations.evaluation_open(
        draw=draw,
        actor=host,
        hours=8,
        criteria=[evaluations.CriterionSpec("技术", "60"), evaluations.CriterionSpec("商务", "40")],
        representatives=[representative],
    )
    member = evaluation.members.get(seat__expert__number="W0000")
    bid = evaluation.bids.get(organisation=bidder_bid.organisation)
    query = scoring.query_ask(
        evaluation=evaluation, actor=member.person, bid=bid, question="请说明工期依据"
    )
    return {"evaluation": evaluation, "evaluated_bid": bid, "query": query}
