"""The world's transparency log: a signed tree head at the stage's time (the beat task's
tick), and which object the bid's proof route names.

Before the deadline the head holds no bid entry (the bidder's proof answers 409); from the
deadline on the section's batch is in it (the bidder's proof is there, nobody else's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision.transparency.producer import publish_head

if TYPE_CHECKING:
    from tests.security.world import World


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "api:bid-ledger-proof": lambda world: {"pk": world.bid.pk},
}


def add(world: World) -> None:
    publish_head()
