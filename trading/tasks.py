"""Thin, idempotent tasks: ids in, the chronograph does the work."""

from celery import shared_task

from trading import chronograph
from trading.models import Section


@shared_task
def section_time_events(section_id: int) -> list[str]:
    try:
        return chronograph.apply_time_events(section_id)
    except Section.DoesNotExist:
        return []  # a tick queued for a section that is gone (a reset test database)


@shared_task
def chronograph_sweep() -> int:
    return len(chronograph.sweep())
