"""A section whose hall opened three real sealed bids and closed, a committee drawn and
confirmed (experts with sign-in accounts and SM2 keys), and its evaluation opened."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from accounts.models import Person, Role
from experts import draw as draws
from experts import evaluation as evaluations
from experts import scoring, seats
from experts.models import Evaluation, Expert, Member, Specialty
from ggzy import clock
from ggzy_core.evaluation import report_message
from ggzy_core.gm import envelope, sm2
from realtime import decryption, reading, stages
from realtime import hall as halls
from realtime.models import BidOpening
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening

CRITERIA = (
    evaluations.CriterionSpec("技术方案", "40"),
    evaluations.CriterionSpec("施工组织", "30"),
    evaluations.CriterionSpec("报价", "30"),
)

# Member → bid → points per criterion (技术方案 ≤ 40, 施工组织 ≤ 30, 报价 ≤ 30): every member
# ranks bid 1 first, then 2, then 3.
AGREED_POINTS = {
    member: [["35", "25", "28"], ["30", "20", "25"], ["20", "15", "20"]] for member in range(5)
}


@dataclass
class Committee:
    evaluation: Evaluation
    people: list[Person]  # in member order
    keys: list[sm2.SM2PrivateKey]

    def member(self, index: int) -> Member:
        return self.evaluation.members.get(order=index)

    def sign(self, index: int, *, agrees: bool = True, dissent: str = "") -> Member:
        self.evaluation.refresh_from_db()
        message = report_message(self.evaluation.report_sm3, agrees=agrees, dissent=dissent)
        return evaluations.report_sign(
            evaluation=self.evaluation,
            actor=self.people[index],
            agrees=agrees,
            dissent=dissent,
            signature=self.keys[index].sign(message),
        )


def close_hall(state: Opening) -> None:
    """Every bidder decrypts, confirms the reading; the host closes the hall."""
    host, hall = state.host, state.hall
    for bidder in state.bidders:
        halls.sign_in(hall=hall, person=bidder.person)
    stages.enter_next(hall=hall, person=host)  # the bidder list
    stages.enter_next(hall=hall, person=host)  # the decryption window
    for index, bid in enumerate(state.bids):
        manifest = envelope.read_manifest(cast(BinaryIO, io.BytesIO(state.files[index])))
        decryption.submit_key(
            opening=BidOpening.objects.get(bid=bid),
            person=state.bidders[index].person,
            content_key=envelope.unwrap_content_key(manifest, state.bidders[index].key),
        )
    stages.enter_next(hall=hall, person=host)  # the reading
    stages.enter_next(hall=hall, person=host)  # confirmation
    hall.refresh_from_db()
    message = reading.reading_message(hall.reading_sm3)
    for bidder in state.bidders:
        reading.answer(
            hall=hall, person=bidder.person, decision="confirm", signature=bidder.key.sign(message)
        )
    stages.enter_next(hall=hall, person=host)  # objections
    stages.enter_next(hall=hall, person=host)  # closed
    state.section.refresh_from_db()


def library(count: int) -> tuple[Specialty, list[Expert], list[sm2.SM2PrivateKey]]:
    specialty, _ = Specialty.objects.get_or_create(code="A08", defaults={"name": "水利工程"})
    experts, keys = [], []
    for index in range(count):
        key = sm2.generate_private_key()
        person = PersonFactory.create(role=Role.EXPERT, display_name=f"评委{index}")
        made = Expert.objects.create(
            number=f"V{index:04d}",
            name=f"评委{index}",
            phone="13800000000",
            region="320100",
            title="高级工程师",
            practice_since=2000,
            person=person,
            public_key_pem=key.public_key().to_pem().decode("ascii"),
            key_fingerprint=key.public_key().fingerprint(),
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        made.specialties.add(specialty)
        experts.append(made)
        keys.append(key)
    return specialty, experts, keys


def committee(
    state: Opening,
    *,
    size: int = 5,
    hours: int = 4,
    criteria: Sequence[evaluations.CriterionSpec] = CRITERIA,
) -> Committee:
    """Close the hall, draw ``size`` experts (no representatives), confirm them, open."""
    close_hall(state)
    specialty, experts, keys = library(size)
    draw = draws.draw_request(
        section=state.section,
        wanted=[draws.Wanted(specialty, size, backups=0)],
        representatives=0,
        evaluation_on=clock.now().date(),
        actor=state.host,
    )
    drawn = draws.draw_run(draw=draw, actor=state.host)
    by_expert = {expert.pk: (expert, key) for expert, key in zip(experts, keys, strict=True)}
    for seat in drawn:
        expert, _key = by_expert[seat.expert_id]
        seats.seat_answer(seat=seat, accept=True, actor=cast(Person, expert.person))
    evaluation = evaluations.evaluation_open(
        draw=draw, actor=state.host, hours=hours, criteria=criteria
    )
    members = list(evaluation.members.order_by("order").select_related("seat__expert"))
    people = [member.person for member in members]
    member_keys = [by_expert[m.seat.expert_id if m.seat else 0][1] for m in members]
    return Committee(evaluation, people, member_keys)


def score_all(committee: Committee, points: Mapping[int, Sequence[Sequence[str]]]) -> None:
    """``points[member][bid index]`` = the member's points per criterion; then submit."""
    bids = list(committee.evaluation.bids.order_by("number"))
    for member, rows in points.items():
        for bid, values in zip(bids, rows, strict=True):
            scoring.score_set(
                evaluation=committee.evaluation,
                actor=committee.people[member],
                bid=bid,
                values=dict(enumerate(values)),
            )
        scoring.scores_submit(evaluation=committee.evaluation, actor=committee.people[member])


def elect(committee: Committee, leader: int = 0) -> None:
    candidate = committee.member(leader)
    for person in committee.people[:3]:
        evaluations.leader_vote(evaluation=committee.evaluation, actor=person, candidate=candidate)
