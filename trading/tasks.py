"""Thin, idempotent tasks: ids in, the chronograph does the work."""

from celery import shared_task

from trading import chronograph


@shared_task
def section_time_events(section_id: int) -> list[str]:
    return chronograph.apply_time_events(section_id)


@shared_task
def chronograph_sweep() -> int:
    return len(chronograph.sweep())
