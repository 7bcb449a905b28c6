"""One section's world at a stage that changes who may see what: every role's person, the
objects the routes name, and the time standing at that stage.

Stages: ``before`` (taking bids: three bids in, the deadline ahead), ``opening`` (the hall in
its decryption window), ``closed`` (the hall closed, the record signed and published).
"""

from __future__ import annotations

import datetime as dt
import importlib
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group

from accounts import services as accounts_services
from accounts.models import Organisation, OrganisationKey, OrganisationKind, Person, Role
from accounts.second_factor import enrol_confirmed
from bidding.models import Bid
from ggzy import clock
from realtime import decryption, hall, reading, stages
from realtime.models import BidOpening, Hall, HallObjection
from supervision import ledger
from supervision.models import LedgerCheckpoint, LedgerEntry
from tests.bidding.conftest import Bidder, make_bidder, seal_bid, upload_whole
from tests.factories import OrganisationFactory, PersonFactory
from tests.security import (
    alerts_world,
    archive_world,
    award_world,
    complaints_world,
    credit_world,
    deposits_world,
    experts_world,
    opendata_world,
    transparency_world,
)
from tests.trading.conftest import Holders, section_fields, upload
from trading import chronograph, documents, objections, services
from trading.models import DocumentObjection, Project, Section, TenderDocument

STAGES = ("before", "opening", "closed")
ROLES = (
    "anonymous",
    "bidder",  # a bidder of the section (its bid is the one the routes name)
    "other_bidder",  # a bidder company with no bid in this section
    "tenderee",  # the section's tenderee
    "other_tenderee",  # the tenderee of another project
    "centre",  # the hosting centre's staff (Django admin through their group)
    "regulator",  # the supervising department
    "expert",
    "superuser",
)
MISSING_ID = 987654321  # an id no object has
MISSING_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass
class World:
    stage: str
    section: Section
    project: Project
    other_section: Section
    people: dict[str, Person | None]
    bidders: list[Bidder]
    bid: Bid
    document: TenderDocument
    objection: DocumentObjection
    key: OrganisationKey
    ledger_entry: LedgerEntry
    checkpoint: LedgerCheckpoint
    token_id: str
    axes_ids: dict[str, int]
    hall_objection: HallObjection | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def organisation(self) -> Organisation:
        return self.bidders[0].organisation

    @property
    def person(self) -> Person:
        return self.bidders[0].person


def _people(holders: Holders, other: Organisation) -> dict[str, Person | None]:
    centre = PersonFactory.create(
        username="centre-staff", organisation=holders.centre, role=Role.STAFF, is_staff=True
    )
    centre.groups.add(centre_staff_group())
    return {
        "anonymous": None,
        "other_bidder": make_bidder("不投本标段的公司").person,
        "tenderee": Person.objects.get(username="tenderee"),
        "other_tenderee": PersonFactory.create(
            username="other-tenderee", organisation=other, role=Role.TENDEREE
        ),
        "centre": centre,
        "regulator": PersonFactory.create(
            username="regulator", organisation=holders.regulator, role=Role.REGULATOR
        ),
        "expert": PersonFactory.create(username="expert", organisation=None, role=Role.EXPERT),
        "superuser": PersonFactory.create(
            username="root", organisation=None, is_staff=True, is_superuser=True
        ),
    }


def centre_staff_group() -> Group:
    """The group the data migration made (a transactional test's flush removes it)."""
    if not Group.objects.filter(name=accounts_services.CENTRE_STAFF_GROUP).exists():
        from django.apps import apps

        migration = importlib.import_module("accounts.migrations.0002_centre_staff_group")
        migration.create_group(apps, None)
        deposits_world.grant_centre_staff()
    return Group.objects.get(name=accounts_services.CENTRE_STAFF_GROUP)


def _other_section(holders: Holders, other: Organisation) -> Section:
    person = PersonFactory.create(organisation=other, role=Role.TENDEREE)
    project = services.project_create(
        actor=person,
        code="GGZY-2026-099",
        name="另一个项目",
        centre=holders.centre,
        regulator=holders.regulator,
    )
    return services.section_create(project=project, actor=person, **section_fields())


def build(stage: str, **parts: Any) -> World:
    """The world at ``stage`` (see ``_build``) with the supervision side's objects added."""
    world = _build(stage, **parts)
    for part in (
        credit_world,
        complaints_world,
        alerts_world,
        award_world,
        opendata_world,
        archive_world,
        transparency_world,  # last: the head signs what the others wrote
    ):
        part.add(world)
    return world


def _build(
    stage: str,
    *,
    section: Section,
    bidders: list[Bidder],
    holders: Holders,
    tmp_path: Path,
    stack: ExitStack,
    capture: Any,
    bidding: int = 3,
) -> World:
    """``section`` is open for bids with the clock standing in the bidding period;
    ``bidding`` of the three bidders have bid (the first always has)."""
    other = OrganisationFactory.create(kind=OrganisationKind.TENDEREE, name="别的招标人")
    people = _people(holders, other)
    # The world's expert has an authenticator; requests.Caller passes the second factor.
    enrol_confirmed(cast(Person, people["expert"]))
    other_section = _other_section(holders, other)
    objection = objections.objection_raise(
        section=section, actor=bidders[0].person, text="对技术要求有异议"
    )
    bids = []
    for index, bidder in enumerate(bidders[:bidding]):
        bids.append(submit_bid(section, bidder, tmp_path, index))
    centre = people["centre"]
    assert centre is not None
    money = deposits_world.before_the_deadline(section, bidders, centre)
    token, _ = accounts_services.token_issue(person=bidders[0].person)
    colleague = PersonFactory.create(organisation=bidders[0].organisation, role=Role.BIDDER)
    world = World(
        stage=stage,
        section=section,
        project=section.project,
        other_section=other_section,
        people={**people, "bidder": bidders[0].person},
        bidders=bidders,
        bid=bids[0],
        document=TenderDocument.objects.filter(section=section).first() or _document(section),
        objection=objection,
        key=OrganisationKey.objects.get(organisation=bidders[0].organisation, status="active"),
        ledger_entry=LedgerEntry.objects.filter(
            action="bidding.bid.received", target_id=str(bids[0].pk)
        ).get(),
        checkpoint=_checkpoint(),
        token_id=str(token.pk),
        axes_ids=_axes_rows(),
        extra={"colleague": colleague, **money},
    )
    if stage == "before":
        return world
    world.axes_ids = {}  # made again at the stage's time: axes forgets old attempts
    stack.enter_context(time_machine.travel(section.bid_deadline, tick=False))
    chronograph.apply_time_events(section.pk)
    host = people["centre"]
    assert host is not None
    current = Hall.objects.get(section=section)
    for bidder in bidders:
        hall.sign_in(hall=current, person=bidder.person)
    stages.enter_next(hall=current, person=host)  # the bidder list
    stages.enter_next(hall=current, person=host)  # the decryption window
    world.extra.update(deposits_world.after_the_deadline(section, bidders, host))
    expert = people["expert"]
    assert expert is not None
    world.extra.update(experts_world.drawn(section, expert, host))
    if stage == "opening":
        world.axes_ids = _axes_rows()
        return world
    from ggzy_core.gm import envelope

    with capture(execute=True):
        for bidder, bid in zip(bidders, bids, strict=True):
            manifest = envelope.read_manifest(_bytes(bidder.extra_data))  # type: ignore[attr-defined]
            decryption.submit_key(
                opening=BidOpening.objects.get(bid=bid),
                person=bidder.person,
                content_key=envelope.unwrap_content_key(manifest, bidder.key),
            )
    stages.enter_next(hall=current, person=host)  # the reading
    stages.enter_next(hall=current, person=host)  # confirmation
    current.refresh_from_db()
    message = reading.reading_message(current.reading_sm3)
    for bidder in bidders:
        reading.answer(
            hall=current,
            person=bidder.person,
            decision="confirm",
            signature=bidder.key.sign(message),
        )
    world.hall_objection = reading.raise_objection(
        hall=current, person=bidders[0].person, text="唱标有误"
    )
    reading.answer_objection(objection=world.hall_objection, person=host, text="已核对")
    with capture(execute=True):
        stages.enter_next(hall=current, person=host)  # objections
        stages.enter_next(hall=current, person=host)  # closed: the record
    world.extra.update(experts_world.evaluating(section, world.extra["draw"], host, bids[0]))
    world.axes_ids = _axes_rows()
    return world


def submit_bid(section: Section, bidder: Bidder, tmp_path: Path, index: int) -> Bid:
    data = seal_bid(section, bidder, tmp_path, price=f"4{index}850000.00")
    response = upload_whole(bidder.client(), section, data)
    assert response.status_code == 204, response.content
    bidder.extra_data = data  # type: ignore[attr-defined]
    return Bid.objects.get(pk=response["Ggzy-Bid"])


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def _document(section: Section) -> TenderDocument:
    tenderee = Person.objects.get(username="tenderee")
    return documents.document_issue(section=section, actor=tenderee, title="补充", upload=upload())


def _checkpoint() -> LedgerCheckpoint:
    point = ledger.checkpoint()
    return point or LedgerCheckpoint.objects.order_by("-sequence").first()  # type: ignore[return-value]


def _axes_rows() -> dict[str, int]:
    now = clock.now()
    common = {"ip_address": "203.0.113.9", "user_agent": "test", "username": f"u{now:%j%H%M%S}"}
    attempt = AccessAttempt.objects.create(
        failures_since_start=1, attempt_time=now, get_data="", post_data="", **common
    )
    log = AccessLog.objects.create(attempt_time=now, **common)
    failure = AccessFailureLog.objects.create(attempt_time=now, locked_out=False, **common)
    return {"accessattempt": attempt.pk, "accesslog": log.pk, "accessfailurelog": failure.pk}


def later(world: World, **delta: float) -> time_machine.travel:
    return time_machine.travel(clock.now() + dt.timedelta(**delta), tick=False)
