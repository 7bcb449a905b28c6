"""The committee's members see the credit records in force of the bidders they evaluate, on
each bid; the section's staff and regulator watching the progress get no workspace, and a
record no longer in force is not shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts import credit
from accounts.models import CreditBar, CreditKind, CreditRecord, CreditSource, Person, Role
from accounts.second_factor import confirmed_device, enrol_confirmed
from experts.models import EvaluatedBid
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.conftest import client_for, pass_second_factor
from tests.experts.evaluation_world import Committee, committee
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def state(opening: Opening) -> Committee:  # noqa: F811
    return committee(opening)


def verified(person: Person) -> Client:
    if confirmed_device(person) is None:
        enrol_confirmed(person)
    client = client_for(person)
    pass_second_factor(client, person)
    return client


def record(hall: Opening, index: int, *, number: str, ends_on: dt.date) -> CreditRecord:
    regulator = Person.objects.filter(role=Role.REGULATOR).first() or PersonFactory.create(
        organisation=hall.holders.regulator, role=Role.REGULATOR
    )
    return credit.record_enter(
        entry=credit.Entry(
            kind=CreditKind.BAD_BEHAVIOUR,
            bars=CreditBar.NONE,
            source=CreditSource.DECISION,
            authority="水利局",
            decision_number=number,
            decided_on=credit.today() - dt.timedelta(days=30),
            reason="项目经理未到岗",
            organisation=hall.bidders[index].organisation,
            ends_on=ends_on,
        ),
        actor=regulator,
    )


def test_a_member_sees_the_records_in_force_on_the_bids_they_evaluate(
    opening: Opening,  # noqa: F811
    state: Committee,
) -> None:
    shown = record(opening, 1, number="不良1号", ends_on=credit.today())
    record(opening, 2, number="不良旧2号", ends_on=credit.today() - dt.timedelta(days=1))
    numbered = EvaluatedBid.objects.get(
        evaluation=state.evaluation, organisation=opening.bidders[1].organisation
    ).number

    page = verified(state.people[0]).get(
        reverse("experts:evaluation", kwargs={"pk": state.evaluation.pk})
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('class="credit-records"') == 1
    assert f'id="credit-{numbered}"' in body
    assert f'data-credit-record="{shown.pk}"' in body
    assert "不良1号" in body and "项目经理未到岗" in body
    assert "不良旧2号" not in body


def test_the_staff_watching_the_progress_see_no_records_there(
    opening: Opening,  # noqa: F811
    state: Committee,
) -> None:
    record(opening, 1, number="不良1号", ends_on=credit.today())
    page = client_for(opening.host).get(
        reverse("experts:evaluation", kwargs={"pk": state.evaluation.pk})
    )
    assert page.status_code == 200
    assert 'class="credit-records"' not in page.content.decode()
