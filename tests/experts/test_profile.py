"""An expert keeps their own days off and declared ties; a draw made after reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Person, Role
from experts import draw as draws
from experts import profile
from experts.models import AvoidanceReason, Expert, Specialty
from ggzy import clock
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.experts.conftest import expert
from tests.experts.test_evaluation_views import verified
from tests.factories import PersonFactory
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(codes: dict[str, Specialty]) -> Person:
    person = PersonFactory.create(role=Role.EXPERT)
    made = expert(codes["A08"])
    made.person = person
    made.save(update_fields=["person"])
    return person


def test_a_day_off_keeps_the_expert_out_of_a_draw_for_that_day(
    me: Person, closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    day = clock.now().date() + dt.timedelta(days=3)
    profile.unavailable_add(person=me, starts_on=day, ends_on=day, reason="出差")
    for _ in range(5):
        expert(codes["A08"])
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 5, backups=0)],
        representatives=0,
        evaluation_on=day,
        actor=clerk,
    )
    seats = draws.draw_run(draw=draw, actor=clerk)
    mine = Expert.objects.get(person=me)
    draw.refresh_from_db()
    assert mine.pk not in {seat.expert_id for seat in seats}
    assert mine.number not in draw.pool["A08"]
    entry = LedgerEntry.objects.get(action="experts.profile.unavailable_added")
    assert entry.data == {"from": day.isoformat(), "until": day.isoformat()}


def test_days_off_are_ahead_within_a_year(me: Person) -> None:
    today = clock.now().date()
    with pytest.raises(DomainError, match="within a year"):
        profile.unavailable_add(person=me, starts_on=today - dt.timedelta(days=1), ends_on=today)
    with pytest.raises(DomainError, match="within a year"):
        profile.unavailable_add(person=me, starts_on=today, ends_on=today + dt.timedelta(days=400))


def test_a_declared_tie_avoids_the_organisations_sections(
    me: Person, closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    tenderee_code = closed.project.tenderee.credit_code
    profile.relationship_declare(
        person=me, kind="former_employer", credit_code=tenderee_code, organisation_name="原单位"
    )
    for _ in range(5):
        expert(codes["A08"])
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 5, backups=0)],
        representatives=0,
        evaluation_on=clock.now().date(),
        actor=clerk,
    )
    draws.draw_run(draw=draw, actor=clerk)
    avoided = draw.exclusions.get(expert__person=me)
    assert avoided.reason == AvoidanceReason.RELATIONSHIP


def test_a_wrong_credit_code_is_refused_with_the_rule_it_breaks(me: Person) -> None:
    with pytest.raises(DomainError, match="18 characters"):
        profile.relationship_declare(
            person=me, kind="relative", credit_code="123", organisation_name="某公司"
        )


def test_the_profile_page_adds_a_day_off(me: Person) -> None:
    day = clock.now().date() + dt.timedelta(days=10)
    client = verified(me)
    response = client.post(
        "/experts/profile/",
        {
            "action": "unavailable",
            "unavailable-starts_on": day.isoformat(),
            "unavailable-ends_on": day.isoformat(),
            "unavailable-reason": "",
        },
    )
    assert response.status_code == 302
    assert Expert.objects.get(person=me).unavailable.filter(starts_on=day).exists()
    assert day.isoformat() in client.get("/experts/profile/").content.decode()
