"""A section published in September 2026 by a tenderee, the bidder who complains, the
project's supervising department and the hosting centre's clerk; the clock travels to
Beijing dates around the National Day holiday (2026: Sep 25–27 Mid-Autumn, Oct 1–7
National Day, Saturday Oct 10 a make-up working day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine

from accounts.models import Organisation, OrganisationKind, Person, Role
from ggzy_core.times import BEIJING
from supervision.complaints import filing
from supervision.complaints.models import Complaint, Matter
from tests.factories import OrganisationFactory, PersonFactory
from tests.trading.conftest import bind_new_key, section_fields, upload
from trading import chronograph, documents, objections, services
from trading.models import Section

Go = Callable[[dt.datetime], None]


def beijing(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def go() -> Iterator[Go]:
    """``go(moment)``: the clock stands at ``moment`` until the test ends (or the next go)."""
    travellers: list[time_machine.travel] = []

    def move(moment: dt.datetime) -> None:
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield move
    for traveller in reversed(travellers):
        traveller.stop()


@dataclass
class Parties:
    section: Section
    tenderee: Person
    complainant: Person
    other_bidder: Person
    regulator: Person
    other_regulator: Person
    clerk: Person
    outsider: Person

    @property
    def company(self) -> Organisation:
        assert self.complainant.organisation is not None
        return self.complainant.organisation


@pytest.fixture
def parties(db: None, go: Go) -> Parties:
    """Published on Sep 1 2026, bids taken from Sep 2, deadline Oct 20 10:00 (Beijing)."""
    go(beijing(2026, 9, 1, 9))
    centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="示范市公共资源交易中心")
    regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="示范市住建局")
    tenderee_org = OrganisationFactory.create(kind=OrganisationKind.TENDEREE, name="示范市城投公司")
    for holder in (centre, regulator, tenderee_org):
        bind_new_key(holder)
    tenderee = PersonFactory.create(
        username="tenderee", organisation=tenderee_org, role=Role.TENDEREE
    )
    project = services.project_create(
        actor=tenderee,
        code="GGZY-2026-011",
        name="示范市滨江路改造工程",
        centre=centre,
        regulator=regulator,
    )
    section = services.section_create(
        project=project,
        actor=tenderee,
        **section_fields(
            documents_from=beijing(2026, 9, 2, 9), bid_deadline=beijing(2026, 10, 20, 10)
        ),
    )
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    services.section_publish(section=section, actor=tenderee)
    go(beijing(2026, 9, 2, 9, 1))
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    company = OrganisationFactory.create(name="江南建工集团有限公司")
    other_regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="邻市住建局")
    return Parties(
        section=section,
        tenderee=tenderee,
        complainant=PersonFactory.create(
            username="complainant", organisation=company, role=Role.BIDDER
        ),
        other_bidder=PersonFactory.create(username="other-bidder", role=Role.BIDDER),
        regulator=PersonFactory.create(
            username="regulator", organisation=regulator, role=Role.REGULATOR
        ),
        other_regulator=PersonFactory.create(
            username="other-regulator", organisation=other_regulator, role=Role.REGULATOR
        ),
        clerk=PersonFactory.create(username="clerk", organisation=centre, role=Role.STAFF),
        outsider=PersonFactory.create(username="outsider", organisation=None, role=Role.EXPERT),
    )


def answered_objection(parties: Parties) -> None:
    """The complainant objected to the documents and the tenderee answered the same day."""
    objection = objections.objection_raise(
        section=parties.section, actor=parties.complainant, text="资格条件排斥潜在投标人"
    )
    objections.objection_answer(objection=objection, actor=parties.tenderee, answer="不予修改")


def file_other(parties: Parties, knew_on: dt.date, **fields: str) -> Complaint:
    return filing.complaint_file(
        section=parties.section,
        actor=parties.complainant,
        matter=fields.pop("matter", Matter.OTHER),
        knew_on=knew_on,
        text=fields.pop("text", "招标人限定品牌"),
        requests=fields.pop("requests", "责令改正"),
        **fields,
    )
