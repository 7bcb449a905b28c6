"""The world's people, signed in."""

from __future__ import annotations

from django.test import Client

from accounts.models import Person
from tests.security.world import World


def person(world: World, role: str) -> Person:
    found = world.people[role]
    assert found is not None, f"the world has no {role}"
    return found


def signed_in(world: World, role: str = "regulator") -> Client:
    """Pages in English: the assertions read the English source strings."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person(world, role))
    return client
