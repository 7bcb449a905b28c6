"""The world's credit objects, added at each stage (see world.py), and which object each
credit route names: a published dishonest record on the world's second bidder, entered by
the world's regulator (it names no bid: the same whether one or three companies bid)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from accounts import credit
from accounts.models import CreditBar, CreditKind, CreditSource, Person

if TYPE_CHECKING:
    from tests.security.world import World


def _record(world: World) -> dict[str, Any]:
    return {"pk": world.extra["credit_record"].pk}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "credit:record": _record,
    "credit:revoke": _record,
    "credit:correct": _record,
}


def add(world: World) -> None:
    regulator = world.people["regulator"]
    assert isinstance(regulator, Person)
    world.extra["credit_record"] = credit.record_enter(
        entry=credit.Entry(
            kind=CreditKind.DISHONEST,
            bars=CreditBar.BIDDING,
            source=CreditSource.DECISION,
            authority="示范市水利局",
            decision_number="水信〔2026〕1号",
            decided_on=credit.today(),
            reason="提供虚假材料 [R68]",
            organisation=world.bidders[1].organisation,
        ),
        actor=regulator,
    )
