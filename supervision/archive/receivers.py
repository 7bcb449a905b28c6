"""Sealing follows a section closing: ``ARCHIVE_AFTER`` after it is contracted, failed or
cancelled, the one chronograph asks for its archive (docs/archive.md)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from supervision.archive import services
from trading import chronograph
from trading.models import Section
from trading.signals import status_changed

for _status in sorted(services.CLOSED):
    chronograph.register(
        chronograph.TimeEvent(
            f"archive_due_{_status}", _status, services.sealing_due, services.seal_when_due
        )
    )


@receiver(status_changed)
def schedule_sealing(
    sender: Any, section: Section, source: str, target: str, **kwargs: Any
) -> None:
    """The closing move's caller holds the section's lock: book the sealing time now."""
    if target in services.CLOSED:
        chronograph.reschedule(section)
