"""A regulator's reading of an alert's evidence (addresses, accounts, machines) is itself
ledgered, as the portal's readings are [E49]."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.models import LedgerEntry
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import person, signed_in

pytestmark = pytest.mark.django_db


def test_reading_an_alert_is_ledgered_with_who_read_it(world_at: MakeWorld) -> None:
    world = world_at("closed")
    alert = world.extra["supervision_alert"]
    response = signed_in(world).get(reverse("alerts:detail", kwargs={"pk": alert.pk}))
    assert response.status_code == 200
    entry = LedgerEntry.objects.filter(action="supervision.portal.alert_viewed").get()
    assert entry.target_id == str(alert.pk)
    assert entry.actor_person_id == person(world, "regulator").pk
    assert entry.data == {"rule": alert.rule}
