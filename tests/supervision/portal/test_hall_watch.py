"""The regulator's view of a hall: sign-in addresses, decryption timing, share use; nothing
before the deadline, and every reading ledgered."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from supervision.models import LedgerEntry
from tests.security.conftest import MakeWorld
from tests.security.world import World
from tests.supervision.portal.people import signed_in

pytestmark = pytest.mark.django_db


def page(world: World) -> tuple[int, str, Any]:
    client = signed_in(world, "regulator")
    response = client.get(reverse("supervision:hall", kwargs={"code": world.section.code}))
    return response.status_code, response.content.decode(), response.context


def test_before_the_deadline_there_is_nothing_to_watch_and_nothing_is_ledgered(
    world_at: MakeWorld,
) -> None:
    world = world_at("before")
    status, body, context = page(world)
    assert status == 200 and context["watch"] is None
    assert "The hall opens at the bid deadline" in body
    assert not LedgerEntry.objects.filter(action="supervision.portal.hall_viewed").exists()


def test_after_the_opening_each_sign_in_and_decryption_shows_where_it_came_from(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    status, _body, context = page(world)
    watch = context["watch"]
    assert status == 200
    assert len(watch.sign_ins) == 3
    assert {entry.actor_organisation for entry in watch.sign_ins} == {
        bidder.organisation.credit_code for bidder in world.bidders
    }
    assert [row.opening.number for row in watch.decryptions] == [1, 2, 3]
    assert all(
        row.opening.submitted_at and row.after_window is not None for row in watch.decryptions
    )
    assert watch.window_opened is not None
    assert LedgerEntry.objects.filter(action="supervision.portal.hall_viewed").count() == 1


def test_the_centre_staff_are_refused_the_regulators_view(world_at: MakeWorld) -> None:
    world = world_at("closed")
    client = signed_in(world, "centre")
    response = client.get(reverse("supervision:hall", kwargs={"code": world.section.code}))
    assert response.status_code == 403
