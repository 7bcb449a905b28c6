"""The hall's bidder list shows the host and the regulator a badge for a bidder with a
credit record in force (its kind and the record's page); bidders, the tenderee, the public
and a platform superuser get the same rows without it (docs/credit.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts import credit
from accounts.models import CreditBar, CreditKind, CreditRecord, CreditSource, Person, Role
from realtime import snapshot
from tests.conftest import api_client_for
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulator(opening: Opening) -> Person:
    return PersonFactory.create(organisation=opening.holders.regulator, role=Role.REGULATOR)


@pytest.fixture
def recorded(opening: Opening, regulator: Person) -> CreditRecord:
    """A record in force on the second bidder, and one already ended on the third."""
    second, third = opening.bidders[1].organisation, opening.bidders[2].organisation
    fields: dict[str, Any] = {
        "bars": CreditBar.BIDDING,
        "source": CreditSource.DECISION,
        "authority": "水利局",
        "reason": "串通投标 [R67]",
    }
    credit.record_enter(
        entry=credit.Entry(
            kind=CreditKind.PENALTY,
            decision_number="旧罚1号",
            decided_on=credit.today() - dt.timedelta(days=400),
            ends_on=credit.today() - dt.timedelta(days=1),
            organisation=third,
            **fields,
        ),
        actor=regulator,
    )
    return credit.record_enter(
        entry=credit.Entry(
            kind=CreditKind.DISHONEST,
            decision_number="失信1号",
            decided_on=credit.today(),
            organisation=second,
            **fields,
        ),
        actor=regulator,
    )


def badges(state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {row["bidder"]: row["credit"] for row in state["bidders"] if "credit" in row}


def test_the_host_and_the_regulator_see_the_badge_with_the_kind_and_the_record(
    opening: Opening, regulator: Person, recorded: CreditRecord
) -> None:
    second = opening.bidders[1].organisation.name
    expected = {
        second: [
            {
                "id": recorded.pk,
                "kind": "dishonest",
                "bars": "bidding",
                "url": reverse("credit:record", kwargs={"pk": recorded.pk}),
            }
        ]
    }
    assert badges(snapshot.snapshot(opening.hall, opening.host)) == expected
    assert badges(snapshot.snapshot(opening.hall, regulator)) == expected


def test_bidders_the_tenderee_the_public_and_a_superuser_see_no_badge(
    opening: Opening, recorded: CreditRecord
) -> None:
    viewers = [
        opening.bidders[1].person,  # not even the bidder on record
        opening.bidders[0].person,
        Person.objects.get(username="tenderee"),
        AnonymousUser(),
        PersonFactory.create(organisation=None, role="", is_superuser=True),
    ]
    for viewer in viewers:
        state = snapshot.snapshot(opening.hall, viewer)
        assert len(state["bidders"]) == 3
        assert badges(state) == {}


def test_the_api_snapshot_carries_the_badge_for_the_regulator_only(
    opening: Opening, regulator: Person, recorded: CreditRecord
) -> None:
    path = reverse("api:hall", args=[opening.section.code])
    seen = api_client_for(regulator).get(path).json()
    public = api_client_for(opening.bidders[0].person).get(path).json()
    assert len(badges(seen)) == 1
    assert badges(public) == {}


def test_the_hall_page_has_the_credit_column_and_its_words(
    opening: Opening, regulator: Person, recorded: CreditRecord, client: Any
) -> None:
    client.force_login(regulator)
    page = client.get(reverse("realtime:hall", args=[opening.section.code])).content.decode()
    assert 'id="bidders-credit"' in page
    assert '"credit_in_force"' in page
