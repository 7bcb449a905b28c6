"""Only regulators use the portal; a section of another department is not found."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import OrganisationKind, Role
from tests.factories import OrganisationFactory, PersonFactory
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import person, signed_in

pytestmark = pytest.mark.django_db


def test_a_bidder_is_refused_the_portal_with_the_reason_in_both_languages(
    world_at: MakeWorld,
) -> None:
    world = world_at("before")
    client = signed_in(world, "bidder")
    response = client.get(reverse("supervision:overview"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "只有监督人员可以进入" in body and "open to regulators only" in body


def test_the_anonymous_are_sent_to_log_in() -> None:
    response = Client().get(reverse("supervision:ledger"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_regulator_of_another_department_does_not_find_the_sections_timeline(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    department = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="别的监督部门")
    stranger = PersonFactory.create(organisation=department, role=Role.REGULATOR)
    client = Client()
    client.force_login(stranger)
    url = reverse("supervision:timeline", kwargs={"code": world.section.code})
    assert client.get(url).status_code == 404
    client.force_login(person(world, "regulator"))
    assert client.get(url).status_code == 200
