"""What a client needs to draw the hall from scratch: the state at one sequence number."""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from ggzy import clock
from realtime.hall import is_host, statuses
from realtime.models import Hall, HallStage
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
        "objections": [
            {"id": o.pk, "bidder": o.organisation.name, "text": o.text, "answer": o.answer}
            for o in hall.objections.select_related("organisation")
        ],
        "record_sm3": (hall.record_signature or {}).get("record_sm3", ""),
        "you": viewer(user, hall),
    }
