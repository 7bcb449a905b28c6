"""The world's archive objects, added at each stage (see world.py), and which object each
archive route names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.security.world import World

OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {}


def add(world: World) -> None:
    """Nothing yet."""
