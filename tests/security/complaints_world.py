"""The world's complaints objects, added at each stage (see world.py), and which object each
complaints route names.

One complaint by the section's bidder (bidders[0]) at each stage:

- before the deadline, about the tender documents, after an objection the tenderee
  answered [R60 ¶2, R22]: the tenderee and the centre see it but not who complained, and
  its ledger entries are sealed with the bids [E21] (test_nothing_before_the_deadline
  compares every page with one and three bids in);
- at the opening (the decryption window), about another matter;
- once the hall closed, about the opening, after the objection raised and answered in the
  hall [R44].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from supervision.complaints import filing
from supervision.complaints.clocks import today
from supervision.complaints.models import Matter
from trading import objections

if TYPE_CHECKING:
    from tests.security.world import World


def _complaint(world: World) -> dict[str, Any]:
    return {"pk": world.extra["complaint"].pk}


OBJECTS: dict[str, Callable[[World], dict[str, Any]]] = {
    "complaints:new": lambda world: {"code": world.section.code},
    "complaints:detail": _complaint,
    "complaints:handle": _complaint,
    "complaints:statement": _complaint,
    "complaints:withdraw": _complaint,
}

_MATTER = {"before": Matter.TENDER_DOCUMENTS, "opening": Matter.OTHER, "closed": Matter.OPENING}


def add(world: World) -> None:
    if world.stage == "before":
        tenderee = world.people["tenderee"]
        assert tenderee is not None
        objection = objections.objection_raise(
            section=world.section, actor=world.person, text="资格条件排斥潜在投标人"
        )
        objections.objection_answer(objection=objection, actor=tenderee, answer="不予修改")
    world.extra["complaint"] = filing.complaint_file(
        section=world.section,
        actor=world.person,
        matter=_MATTER[world.stage],
        knew_on=today(),
        text="招标文件限定品牌，排斥潜在投标人",
        requests="责令招标人修改招标文件",
    )
