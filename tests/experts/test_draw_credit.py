"""The draw avoids an expert whose person has a credit record in force that bars evaluating
[R71, P12], with the reason recorded; other records, and records not in force on the
evaluation day, keep nobody out; the library's penalties still do."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import credit
from accounts.models import CreditBar, CreditKind, CreditSource, Person, Role
from experts import draw as draws
from experts.models import AvoidanceReason, Expert, Penalty, Specialty
from tests.experts.conftest import expert
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulator(holders: Holders) -> Person:
    return PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)


def with_account(made: Expert) -> Expert:
    made.person = PersonFactory.create(organisation=None, role=Role.EXPERT)
    made.save()
    return made


def barred(person: Person, regulator: Person, *, bars: str, ends_on: dt.date, number: str) -> None:
    credit.record_enter(
        entry=credit.Entry(
            kind=CreditKind.PENALTY,
            bars=bars,
            source=CreditSource.DECISION,
            authority="水利局",
            decision_number=number,
            decided_on=credit.today(),
            reason="评标违规 [R71]",
            person=person,
            ends_on=ends_on,
        ),
        actor=regulator,
    )


def test_an_expert_barred_by_a_credit_record_is_avoided_with_the_reason(
    closed: Section, clerk: Person, codes: dict[str, Specialty], regulator: Person
) -> None:
    day = credit.today() + dt.timedelta(days=30)
    for _ in range(6):
        expert(codes["A0801"])
    for _ in range(4):
        expert(codes["D01"])
    recorded = with_account(expert(codes["A0801"]))
    noted = with_account(expert(codes["A0801"]))  # on record, bars nothing
    lapsed = with_account(expert(codes["A0801"]))  # the bar ends before the evaluation day
    penalised = expert(codes["A0801"])
    Penalty.objects.create(expert=penalised, imposed_on=day, authority="住建局", reason="迟到")
    assert recorded.person and noted.person and lapsed.person
    barred(recorded.person, regulator, bars=CreditBar.EVALUATING, ends_on=day, number="罚1号")
    barred(noted.person, regulator, bars=CreditBar.NONE, ends_on=day, number="罚2号")
    barred(
        lapsed.person,
        regulator,
        bars=CreditBar.EVALUATING,
        ends_on=day - dt.timedelta(days=1),
        number="罚3号",
    )
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 3, 1), draws.Wanted(codes["D01"], 2, 1)],
        representatives=0,
        evaluation_on=day,
        actor=clerk,
    )

    draws.draw_run(draw=draw, actor=clerk)

    reasons = {row.expert: (row.reason, row.detail) for row in draw.exclusions.all()}
    assert reasons == {
        recorded: (AvoidanceReason.CREDIT_RECORD, "水利局 罚1号"),
        penalised: (AvoidanceReason.PENALTY, "住建局"),
    }
    draw.refresh_from_db()
    assert recorded.number not in draw.pool["A08"]
    assert {noted.number, lapsed.number} <= set(draw.pool["A08"])
