"""The complaints' beat task: thin, idempotent (sweep.py does the work)."""

from __future__ import annotations

from celery import shared_task

from supervision.complaints import sweep


@shared_task(name="supervision.complaints.tasks.sweep_clocks")
def sweep_clocks() -> dict[str, int]:
    return sweep.sweep_clocks()
