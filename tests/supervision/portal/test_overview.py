"""The overview counts a regulator's sections by state and lists the halls running now and
today's deadlines."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.portal import overview
from supervision.portal.access import sections_supervised
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import person, signed_in

pytestmark = pytest.mark.django_db


def test_during_the_opening_the_hall_is_running_and_todays_deadline_is_listed(
    world_at: MakeWorld,
) -> None:
    world = world_at("opening")
    seen = overview.overview(sections_supervised(person(world, "regulator")))
    assert [hall.section for hall in seen.halls_running] == [world.section]
    assert world.section in seen.deadlines_today
    # The world's section, another project's, and the cancelled one it archived.
    assert sum(count for _label, count in seen.by_status) == 3


def test_once_the_record_is_signed_no_hall_is_running(world_at: MakeWorld) -> None:
    world = world_at("closed")
    seen = overview.overview(sections_supervised(person(world, "regulator")))
    assert seen.halls_running == []


def test_the_page_links_each_section_to_its_timeline_and_hall(world_at: MakeWorld) -> None:
    world = world_at("opening")
    client = signed_in(world, "regulator")
    body = client.get(reverse("supervision:overview")).content.decode()
    assert reverse("supervision:timeline", kwargs={"code": world.section.code}) in body
    assert reverse("supervision:hall", kwargs={"code": world.section.code}) in body


def test_refunds_before_a_deadline_are_not_counted(world_at: MakeWorld) -> None:
    world = world_at("before")
    seen = overview.overview(sections_supervised(person(world, "regulator")))
    assert seen.refunds_due == 0
