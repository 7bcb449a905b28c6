"""Which object the opening key ceremony's routes name in a world (tests/security/objects.py):
the world's section, by code for the API and by pk for the management page's buttons."""

from __future__ import annotations

from typing import Any

from tests.security.world import World


def _code(world: World) -> dict[str, Any]:
    return {"code": world.section.code}


def _section_pk(world: World) -> dict[str, Any]:
    return {"pk": world.section.pk}


OBJECTS = {
    "api:section-ceremony": _code,
    "api:section-ceremony-dealing": _code,
    "api:section-ceremony-verification": _code,
    "api:section-ceremony-start": _code,
    "opening_key_ceremony_start": _section_pk,
    "opening_key_mode": _section_pk,
}
