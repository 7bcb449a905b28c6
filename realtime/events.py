"""The hall's event stream: every public change gets the next sequence number, is stored,
and is broadcast after commit. Clients (and consumers) resync from the stored events, so a
dropped broadcast is caught up, never lost; a repeated one is ignored by its number.

A broadcast carries the event already rendered as the JSON text the sockets send
(``text``) and its ``sequence``: rendered once here, not once per socket."""

from __future__ import annotations

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from ggzy import clock
from realtime.models import Hall, HallEvent

logger = logging.getLogger(__name__)


def group_name(hall_id: int) -> str:
    return f"hall.{hall_id}"


def emit(hall: Hall, kind: str, payload: dict[str, Any] | None = None) -> HallEvent:
    """Append an event; the caller holds the hall's row lock (one sequence, no gaps)."""
    hall.sequence += 1
    Hall.objects.filter(pk=hall.pk).update(sequence=hall.sequence)
    event = HallEvent.objects.create(
        hall=hall, sequence=hall.sequence, kind=kind, payload=payload or {}, created_at=clock.now()
    )
    message = as_message(event)
    hall_id = hall.pk
    transaction.on_commit(lambda: broadcast(hall_id, message))
    return event


def as_message(event: HallEvent) -> dict[str, Any]:
    return {
        "type": "event",
        "sequence": event.sequence,
        "kind": event.kind,
        "payload": event.payload,
        "at": clock.epoch_ms(event.created_at),
    }


def as_text(message: dict[str, Any]) -> str:
    """The frame a socket sends: what channels' ``send_json`` would send."""
    return json.dumps(message)


def events_after(hall_id: int, sequence: int, *, up_to: int | None = None) -> list[dict[str, Any]]:
    events = HallEvent.objects.filter(hall_id=hall_id, sequence__gt=sequence)
    if up_to is not None:
        events = events.filter(sequence__lte=up_to)
    return [as_message(event) for event in events.order_by("sequence")]


def group_message(message: dict[str, Any]) -> dict[str, Any]:
    """What the channel layer carries to the hall's sockets."""
    return {"type": "hall.event", "sequence": message["sequence"], "text": as_text(message)}


def broadcast(hall_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(hall_id), group_message(message))
    except Exception:
        logger.warning("hall %s: broadcast of #%s failed", hall_id, message["sequence"])
