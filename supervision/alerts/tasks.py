"""Thin, idempotent tasks: they take ids and call the runner."""

from __future__ import annotations

from celery import shared_task

from supervision.alerts import runner


@shared_task(name="supervision.alerts.tasks.run_section", acks_late=True)
def run_section(section_id: int) -> int:
    """After an event: the section's rules, skipped while it is before its deadline."""
    return runner.run_section_if_unsealed(section_id)


@shared_task(name="supervision.alerts.tasks.sweep")
def sweep() -> int:
    """The beat's run (ALERTS_SWEEP_SECONDS): recent sections and the cross-section rules."""
    return runner.sweep()
