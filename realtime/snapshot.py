"""What a client needs to draw the hall from scratch: the state at one sequence number."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.urls import reverse

from accounts import credit
from deposits import positions
from ggzy import clock
from realtime import access, guide, rules
from realtime.hall import statuses
from realtime.models import Hall, HallObjection, HallStage
from realtime.reading import objection_summary


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


def with_deposits(hall: Hall, user: Any, bidders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bidder table with each bid's deposit state (``deposit``: state and whether the
    requirement is met) for those who see the section's deposits — the host, the regulator,
    the tenderee, after the deadline — and a bidder's own row for that bidder; nobody else
    learns another bidder's deposit [E21]."""
    everyone = access.sees_deposits(user, hall)
    organisation_id = getattr(user, "organisation_id", None) if user.is_authenticated else None
    if not everyone and organisation_id is None:
        return bidders
    openings = dict(hall.openings.values_list("bid_id", "bid__organisation_id"))
    owners = {str(bid): owner for bid, owner in openings.items()}
    shown = [owner for owner in owners.values() if everyone or owner == organisation_id]
    if not shown:
        return bidders
    states = positions.positions(hall.section, sorted(set(shown)))
    rows = []
    for row in bidders:
        owner = owners.get(row["bid"])
        if owner in states:
            position = states[owner]
            row = {**row, "deposit": {"state": position.state, "covered": position.covered}}
        rows.append(row)
    return rows


def with_credit(hall: Hall, user: Any, bidders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bidder table with each bidder's credit records in force today (``credit``: the
    records' kinds, ids and pages) for the host and the regulator only
    (``access.sees_credit``); everyone else gets the rows unchanged."""
    if not bidders or not access.sees_credit(user, hall):
        return bidders
    owners = {
        str(bid): owner
        for bid, owner in hall.openings.values_list("bid_id", "bid__organisation_id")
    }
    records = credit.in_force_of_organisations(set(owners.values()))
    rows = []
    for row in bidders:
        found = records.get(owners.get(row["bid"], 0), [])
        if found:
            row = {
                **row,
                "credit": [
                    {
                        "id": record.pk,
                        "kind": record.kind,
                        "bars": record.bars,
                        "url": reverse("credit:record", kwargs={"pk": record.pk}),
                    }
                    for record in found
                ],
            }
        rows.append(row)
    return rows


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
        # Where the hall stands, what one can do and when: the words refusals use too.
        "guide": {"zh": (words := guide.where(hall)).zh, "en": words.en},
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
        "bidders": with_credit(hall, user, with_deposits(hall, user, statuses(hall))),
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
        "you": access.viewer(user, hall),
    }
