"""The world's opendata objects, and which object each opendata route names.

The section's releases are written by the receivers as the world moves it (published →
tender, the deadline → tenderers, the hall closed → bids read out); the routes name the
section's first release and its record, which exist at every stage."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision.opendata.mapping import ocid
from supervision.opendata.models import Release

if TYPE_CHECKING:
    from tests.security.world import World


def _first_release(world: World) -> dict[str, Any]:
    release = Release.objects.filter(section=world.section).order_by("number").first()
    assert release is not None, "a published section has its tender release"
    return {"release_id": release.release_id}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "opendata:release": _first_release,
    "opendata:record": lambda world: {"ocid": ocid(world.section)},
}


def add(world: World) -> None:
    """Nothing to add: the receivers publish as the world moves the section."""
