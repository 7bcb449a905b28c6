"""Who sees a hall in which role (realtime/access.py): the one helper pages, API and
websocket use."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from accounts.models import OrganisationKind, Person, Role
from realtime import access
from realtime.models import Hall
from tests.factories import OrganisationFactory, PersonFactory
from tests.realtime.conftest import Opening

pytestmark = pytest.mark.django_db


def regulator_of(opening: Opening) -> Person:
    return PersonFactory.create(
        username="regulator", organisation=opening.holders.regulator, role=Role.REGULATOR
    )


def role_of(user: object, hall: Hall) -> str:
    return str(access.viewer(user, hall)["role"])


def test_the_tenderee_sees_itself_as_the_tenderee_in_its_own_hall(
    opening: Opening, tenderee: Person
) -> None:
    assert role_of(tenderee, opening.hall) == "tenderee"
    assert access.answers_objections(tenderee, opening.hall)
    assert not access.is_host(tenderee, opening.hall)


def test_the_api_tells_the_tenderee_its_role(opening: Opening, tenderee: Person) -> None:
    client = APIClient()
    client.force_authenticate(tenderee)
    body = client.get(f"/api/halls/{opening.section.code}").json()
    assert body["you"] == {"role": "tenderee"}


def test_each_person_gets_the_role_the_project_gives_it(opening: Opening) -> None:
    hall = opening.hall
    outsider_regulator = PersonFactory.create(
        username="elsewhere",
        organisation=OrganisationFactory.create(kind=OrganisationKind.REGULATOR),
        role=Role.REGULATOR,
    )
    assert role_of(opening.host, hall) == "host"
    assert role_of(regulator_of(opening), hall) == "regulator"
    assert role_of(outsider_regulator, hall) == "public"  # not this project's regulator
    assert access.viewer(opening.bidders[0].person, hall) == {
        "role": "bidder",
        "bid": str(opening.bids[0].pk),
    }
    assert role_of(AnonymousUser(), hall) == "public"


def test_the_regulator_watches_and_does_not_host(opening: Opening) -> None:
    regulator = regulator_of(opening)
    assert not access.is_host(regulator, opening.hall)
    assert not access.answers_objections(regulator, opening.hall)
