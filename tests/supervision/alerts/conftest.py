"""A section past its bid deadline with bids made directly (the rules read rows; the
envelope's own path has its tests in tests/bidding), the hall's openings with prices, and
the section's regulator and centre staff."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from accounts.models import Organisation, Person, Role
from bidding.models import Bid, BidStatus, Upload, UploadState
from experts.models import (
    Criterion,
    Draw,
    EvaluatedBid,
    Evaluation,
    EvaluationStatus,
    Member,
    MemberKind,
    Score,
)
from ggzy import clock
from realtime.models import BidOpening, Hall, OpeningStatus
from supervision import ledger
from tests.factories import OrganisationFactory, PersonFactory
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.trading.conftest import (  # noqa: F401
    Holders,
    draft,
    holders,
    project,
    published,
    tenderee,
)
from trading.models import EvaluationMethod, Section, SectionStatus

_numbers = itertools.count(1)


@pytest.fixture
def sealed(published: Section) -> Iterator[Section]:  # noqa: F811
    """Taking bids: the clock stands a day after the documents were issued."""
    Section.objects.filter(pk=published.pk).update(status=SectionStatus.BIDDING)
    with time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False):
        published.refresh_from_db()
        yield published


@pytest.fixture
def opened(published: Section) -> Iterator[Section]:  # noqa: F811
    """The bid deadline has passed; the section is opening."""
    Section.objects.filter(pk=published.pk).update(status=SectionStatus.OPENING)
    with time_machine.travel(published.bid_deadline + dt.timedelta(hours=1), tick=False):
        published.refresh_from_db()
        yield published


@pytest.fixture
def regulator(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)


@pytest.fixture
def staff(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(organisation=holders.centre, role=Role.STAFF)


def company(name: str = "", **fields: Any) -> Organisation:
    return OrganisationFactory.create(name=name or f"投标公司{next(_numbers)}", **fields)


def make_bid(
    section: Section,
    organisation: Organisation,
    *,
    seconds_before: float = 3600,
    status: str = BidStatus.RECEIVED,
    **fields: Any,
) -> Bid:
    """A bid as bidding files it (its receipt's ledger entry too), received
    ``seconds_before`` the deadline."""
    person = PersonFactory.create(organisation=organisation, role=Role.BIDDER)
    received = section.bid_deadline - dt.timedelta(seconds=seconds_before)
    upload = Upload.objects.create(
        section=section,
        organisation=organisation,
        person=person,
        idempotency_key=uuid.uuid4().hex,
        length=1000,
        offset=1000,
        state=UploadState.COMPLETE,
        created_at=received,
        updated_at=received,
    )
    values: dict[str, Any] = {
        "sm3": uuid.uuid4().hex + uuid.uuid4().hex,
        "machine_fingerprint": f"machine-{uuid.uuid4().hex[:12]}",
        "file_creation_id": f"file-{uuid.uuid4().hex[:12]}",
        "network_address": f"198.51.100.{next(_numbers) % 250 + 1}",
        **fields,
    }
    bid = Bid.objects.create(
        section=section,
        organisation=organisation,
        upload=upload,
        size=1000,
        received_at=received,
        status=status,
        manifest={},
        key_fingerprint="0" * 64,
        **values,
    )
    ledger.append(
        "bidding.bid.received",
        actor=person,
        target=bid,
        data={"section": section.code, "bid": str(bid.pk), "sm3": bid.sm3},
        embargo=section.embargo_scope,
    )
    return bid


def open_bid(bid: Bid, number: int, price: str | Decimal | None = None) -> BidOpening:
    """The hall decrypted ``bid`` as number ``number``; its sheet names ``price``."""
    hall, _ = Hall.objects.get_or_create(
        section=bid.section, defaults={"stage_started_at": clock.now()}
    )
    return BidOpening.objects.create(
        hall=hall,
        bid=bid,
        number=number,
        status=OpeningStatus.DECRYPTED,
        sheet={"price": str(price)} if price is not None else {},
        decrypted_at=clock.now(),
    )


def honest_bids(section: Section, count: int = 3) -> list[Bid]:
    """``count`` bidders, each on its own machine and address, prices far apart."""
    prices = ["41230000.00", "43980000.00", "44510000.00", "46020000.00"]
    bids = [make_bid(section, company()) for _ in range(count)]
    for number, bid in enumerate(bids, 1):
        open_bid(bid, number, prices[number - 1])
    return bids


@pytest.fixture
def more_sections(opened: Section) -> list[Section]:
    """Two earlier sections of the project, past their deadlines too."""
    made = []
    for index in (1, 2):
        made.append(
            Section.objects.create(
                project=opened.project,
                code=f"{opened.code}-E{index}",
                name=f"施工{index + 1}标段",
                category=opened.category,
                estimated_price=opened.estimated_price,
                price_ceiling=opened.price_ceiling,
                documents_from=opened.documents_from - dt.timedelta(days=30 * index),
                bid_deadline=opened.bid_deadline - dt.timedelta(days=10 * index),
                evaluation_method=opened.evaluation_method,
                status=SectionStatus.EVALUATION,
                created_at=clock.now(),
            )
        )
    return made


HONEST_TOTALS = ["80", "70", "50"]  # four members' totals for bids 1, 2, 3


@pytest.fixture
def scored(opened: Section, staff: Person) -> Any:
    """``scored(deviant=[...])``: a concluded evaluation of three bids by five members, the
    first four scoring ``HONEST_TOTALS``, the fifth ``deviant`` (one criterion of 100)."""

    def make(*, deviant: list[str]) -> Evaluation:
        draw = Draw.objects.create(
            section=opened,
            requested_by=staff,
            requested_at=clock.now(),
            evaluation_on=clock.now().date(),
            representatives=0,
        )
        evaluation = Evaluation.objects.create(
            section=opened,
            draw=draw,
            method=EvaluationMethod.COMPREHENSIVE,
            status=EvaluationStatus.SIGNING,
            opened_at=clock.now(),
            opened_by=staff,
            due_at=clock.now(),
        )
        criterion = Criterion.objects.create(
            evaluation=evaluation, order=0, name="综合", maximum=Decimal(100)
        )
        bids = [
            EvaluatedBid.objects.create(
                evaluation=evaluation, number=number, organisation=company(), price=Decimal(1)
            )
            for number in (1, 2, 3)
        ]
        for order in range(5):
            member = Member.objects.create(
                evaluation=evaluation,
                order=order,
                person=PersonFactory.create(organisation=None, role=Role.EXPERT),
                kind=MemberKind.EXPERT,
                name=f"评委{order}",
            )
            totals = deviant if order == 4 else HONEST_TOTALS
            for bid, value in zip(bids, totals, strict=True):
                Score.objects.create(
                    member=member,
                    bid=bid,
                    criterion=criterion,
                    value=Decimal(value),
                    scored_at=clock.now(),
                )
        return evaluation

    return make
