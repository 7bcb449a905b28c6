"""A section past its deadline, the centre's clerk who runs draws, and a library to draw
from (experts made directly: the library's import has its own tests)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Iterator

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Person, Role
from experts import draw as draws
from experts.models import Draw, Expert, Specialty
from ggzy import clock
from tests.factories import PersonFactory
from tests.trading.conftest import (  # noqa: F401
    Holders,
    draft,
    holders,
    project,
    published,
    tenderee,
)
from trading.models import Section

_numbers = itertools.count(1)


@pytest.fixture
def codes(db: None) -> dict[str, Specialty]:
    call_command("load_specialties", stdout=io.StringIO())
    return {specialty.code: specialty for specialty in Specialty.objects.all()}


@pytest.fixture
def closed(published: Section) -> Iterator[Section]:  # noqa: F811
    """The bid deadline has passed: bidders are known, a committee may be drawn."""
    with time_machine.travel(published.bid_deadline + dt.timedelta(hours=1), tick=False):
        yield published


@pytest.fixture
def clerk(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(organisation=holders.centre, role=Role.STAFF)


def expert(
    specialty: Specialty, *, employer: str = "", practice_since: int = 2000, number: str = ""
) -> Expert:
    made = Expert.objects.create(
        number=number or f"E{next(_numbers):05d}",
        name="专家",
        phone="13800000000",
        region="320100",
        employer_credit_code=employer,
        title="高级工程师",
        practice_since=practice_since,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    made.specialties.add(specialty)
    return made


@pytest.fixture
def drawn(closed: Section, clerk: Person, codes: dict[str, Specialty]) -> Draw:
    """Four members called and one backup standing by, each with a sign-in account."""
    for _ in range(5):
        member = expert(codes["A0801"])
        member.person = PersonFactory.create(organisation=None, role=Role.EXPERT)
        member.save()
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 4, backups=1)],
        representatives=1,
        evaluation_on=dt.date(2026, 6, 1),
        actor=clerk,
    )
    draws.draw_run(draw=draw, actor=clerk)
    return draw
