"""Thin, idempotent tasks: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from experts import seats
from experts.report import build_report_pdf
from experts.seats import send_call_task

__all__ = ["build_report_pdf", "send_call_task", "sweep"]


@shared_task(name="experts.tasks.sweep")
def sweep() -> int:
    """Every minute: seats unanswered in time call their backups; unsent calls go again."""
    return seats.sweep()
