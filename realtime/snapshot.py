"""What a client needs to draw the hall from scratch: the state at one sequence number."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from accounts.models import Role
from ggzy import clock
from realtime import rules
from realtime.hall import is_host, statuses
from realtime.models import Hall, HallObjection, HallStage
from realtime.reading import objection_summary
from trading import access as trading_access


def hall_for(user: Any, code: str) -> Hall:
    """The hall of a section the user may see (404 otherwise): halls are public [E29]."""
    section = trading_access.section_for(user, {"code": code})
    return Hall.objects.select_related("section", "section__project").get(section=section)


def viewer(user: Any, hall: Hall) -> dict[str, Any]:
    if is_host(user, hall):
        return {"role": "host"}
    if getattr(user, "is_authenticated", False) and user.role == Role.REGULATOR:
        return {"role": "regulator"}
    organisation_id = getattr(user, "organisation_id", None)
    opening = (
        hall.openings.filter(bid__organisation_id=organisation_id).first()
        if organisation_id
        else None
    )
    if opening is not None:
        return {"role": "bidder", "bid": str(opening.bid_id)}
    return {"role": "public"}


def objections(hall: Hall, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Objection summaries, unanswered ones first (oldest first: the host answers them in
    turn), then the latest answered: a snapshot shows what needs attention however many
    there are."""
    chosen = (
        HallObjection.objects.filter(hall=hall)
        .select_related("organisation")
        .order_by(F("answered_at").desc(nulls_first=True), "raised_at", "pk")[
            offset : offset + limit
        ]
    )
    return [objection_summary(o, bidder=o.organisation.name) for o in chosen]


def record_state(hall: Hall) -> str:
    """``""`` before the hall closes, ``pending`` while the record is being generated (a
    task, after the close), ``signed`` once it is stored."""
    if hall.stage != HallStage.CLOSED:
        return ""
    return "signed" if hall.record_signature else "pending"


def snapshot(hall: Hall, user: Any) -> dict[str, Any]:
    hall.refresh_from_db()
    section = hall.section
    shows_reading = hall.stage in (
        HallStage.READING,
        HallStage.CONFIRMATION,
        HallStage.OBJECTIONS,
        HallStage.CLOSED,
    )
    return {
        "type": "snapshot",
        "sequence": hall.sequence,
        "server_time": clock.epoch_ms(),
        "stage": hall.stage,
        "stage_deadline": clock.epoch_ms(hall.stage_deadline) if hall.stage_deadline else None,
        "rescue_started": clock.epoch_ms(hall.rescue_started_at)
        if hall.rescue_started_at
        else None,
        "section": {
            "code": section.code,
            "name": section.name,
            "project": section.project.name,
            "opening_time": clock.epoch_ms(section.bid_deadline),
            "price_ceiling": str(section.price_ceiling)
            if section.price_ceiling is not None
            else None,
        },
        "bidders": statuses(hall),
        "reading": hall.reading if shows_reading else None,
        "reading_sm3": hall.reading_sm3 if shows_reading else "",
        "answers": [
            {"bidder": c.organisation.name, "decision": c.decision}
            for c in hall.confirmations.select_related("organisation")
        ],
        "objections": objections(hall, limit=rules.SNAPSHOT_OBJECTIONS_MAX),
        "objections_total": hall.objections.count(),
        "record_sm3": (hall.record_signature or {}).get("record_sm3", ""),
        "record_state": record_state(hall),
        "you": viewer(user, hall),
    }
