"""The world's alerts objects, added at each stage (see world.py), and which object each
alerts route names.

Before the deadline there is none: the rules do not run, and nothing may show that anyone
bid. Once the deadline has passed the rules run over the world's section for real: the
second and third bidders' deposits came from one foreign account (deposits_world), so the
one-payer rule [R40] raises an alert; at "closed" the prices read out also step evenly."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision.alerts import runner
from supervision.alerts.models import Alert, RuleCode

if TYPE_CHECKING:
    from tests.security.world import World


def _alert(world: World) -> dict[str, Any]:
    from tests.security.world import MISSING_ID

    alert = world.extra.get("supervision_alert")
    return {"pk": alert.pk if alert is not None else MISSING_ID}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "alerts:detail": _alert,
    "alerts:investigate": _alert,
    "alerts:close": _alert,
    "alerts:note": _alert,
}


def add(world: World) -> None:
    if world.stage == "before":
        return
    runner.run_section(section=world.section)
    world.extra["supervision_alert"] = Alert.objects.get(
        section=world.section, rule=RuleCode.SAME_DEPOSIT_PAYER
    )
