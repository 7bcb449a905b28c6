"""A section taken through the award stage, for the award tests and for open data and the
archive (helpers B and C).

Start from the ``opening`` fixture (tests/realtime/conftest.py: three real sealed bids, the
hall open, the clock standing at the bid deadline) inside a ``django_db(transaction=True)``
test with ``eager_celery``. Easiest: request the ``publicized`` fixture of
tests/award/conftest.py, which yields ``to_publicity(opening)`` and stops its clock at the
end. By hand::

    world = to_publicity(opening)        # section in PUBLICITY, candidates 1, 2, 3
    try:
        award = to_award(world)           # clock moved past publicity; AWARDED, rank 1
        contract = to_contract(world)     # CONTRACTED with the winning bid's terms
    finally:
        world.stop()                      # stop the clock travels in reverse order

``to_publicity(opening, *, points=AGREED_POINTS)`` closes the hall, draws and seats a
committee of five, scores (``points[member][bid index]``: bid 1 ranks first by default),
elects a leader, concludes and has every member sign: the section moves to PUBLICITY and
award/receivers.py starts the signed publicity. Returns an ``AwardWorld``.

``to_award(world, *, actor=None)`` travels to the end of publicity (if not yet there) and has
the tenderee (``actor``, default ``world.tenderee``) issue the award to the best available
candidate; result notices go to the two other bidders. Returns the ``Award``.

``to_contract(world, *, award=None, late=False, **overrides)`` records the contract for the
live award (default: the latest one) with the winning bid's terms and a small PDF; ``late``
first travels past the 30 days [L46]; ``overrides`` replace any ``contract_record`` keyword
(``price``, ``terms``, ``number``, ``signed_on``, ``document``, ``document_name``). Returns
the ``Contract``.

``pay_deposits(section, bidders)`` (before the deadline, i.e. before ``opening`` is built:
see the ``paid`` fixture of tests/award/conftest.py) registers each bidder's basic account
and books its full deposit from it, so that refunds follow the contract [R57].

``world.travel(when)`` moves the clock (kept until ``world.stop()``); ``world.bidder(i)`` is
the i-th bidder (0 = bid number 1, the default winner).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import time_machine

from accounts.models import Person, Role
from award import services
from award.models import Award, AwardStatus, Contract, Publicity
from deposits import collection, matching
from deposits.models import LineSource
from experts import evaluation as evaluations
from ggzy import clock
from tests.bidding.conftest import Bidder
from tests.deposits.conftest import credit
from tests.experts.evaluation_world import AGREED_POINTS, Committee, committee, elect, score_all
from tests.realtime.conftest import Opening
from trading.models import Section

PDF = b"%PDF-1.4\n% contract signed by both parties\n%%EOF\n"


@dataclass
class AwardWorld:
    opening: Opening
    committee: Committee
    tenderee: Person
    travellers: list[Any] = field(default_factory=list)

    @property
    def section(self) -> Section:
        self.opening.section.refresh_from_db()
        return self.opening.section

    @property
    def publicity(self) -> Publicity:
        return Publicity.objects.get(section=self.opening.section)

    @property
    def bidders(self) -> list[Bidder]:
        return self.opening.bidders

    @property
    def host(self) -> Person:
        return self.opening.host

    def bidder(self, index: int) -> Bidder:
        return self.opening.bidders[index]

    def travel(self, when: dt.datetime) -> None:
        traveller = time_machine.travel(when, tick=False)
        traveller.start()
        self.travellers.append(traveller)

    def stop(self) -> None:
        while self.travellers:
            self.travellers.pop().stop()


def tenderee_of(section: Section) -> Person:
    return Person.objects.filter(
        organisation_id=section.project.tenderee_id, role=Role.TENDEREE, is_active=True
    ).order_by("pk")[0]


def to_publicity(
    opening: Opening, *, points: Mapping[int, Sequence[Sequence[str]]] = AGREED_POINTS
) -> AwardWorld:
    state = committee(opening)
    score_all(state, points)
    elect(state)
    evaluations.conclude(evaluation=state.evaluation, actor=state.people[0])
    for index in range(len(state.people)):
        state.sign(index)
    opening.section.refresh_from_db()
    return AwardWorld(opening, state, tenderee_of(opening.section))


def to_award(world: AwardWorld, *, actor: Person | None = None) -> Award:
    ends_at = world.publicity.ends_at
    if clock.now() < ends_at:
        world.travel(ends_at)
    return services.award_issue(section=world.section, actor=actor or world.tenderee)


def to_contract(
    world: AwardWorld, *, award: Award | None = None, late: bool = False, **overrides: Any
) -> Contract:
    award = award or Award.objects.filter(
        section=world.opening.section, status=AwardStatus.NOTIFIED
    ).latest("issued_at")
    if late:
        world.travel(award.contract_due + dt.timedelta(days=1))
    sheet = award.terms
    kwargs: dict[str, Any] = {
        "award": award,
        "actor": world.tenderee,
        "number": f"HT-{world.opening.section.code}",
        "signed_on": clock.now().date(),
        "price": award.price,
        "terms": {
            key: sheet[key]
            for key in ("duration_days", "quality", "project_manager", "warranty")
            if key in sheet
        },
        "document": PDF,
        "document_name": "合同.pdf",
    }
    kwargs.update(overrides)
    return services.contract_record(**kwargs)


def pay_deposits(section: Section, bidders: Sequence[Bidder]) -> None:
    """Each bidder pays the section's full deposit from its registered basic account."""
    lines = []
    for index, bidder in enumerate(bidders):
        account = f"62220000222200{index:02d}"
        collection.basic_account_register(
            organisation=bidder.organisation,
            number=account,
            name=bidder.organisation.name,
            bank="示范银行",
            actor=bidder.person,
        )
        sub = collection.sub_account_for(
            section=section, bidder=bidder.organisation, actor=bidder.person
        )
        lines.append(credit(sub.number, f"{section.bid_deposit:.2f}", payer=account))
    matching.record_lines(lines, source=LineSource.FEED)
