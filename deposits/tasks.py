"""Thin, idempotent tasks: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from deposits import refunds, watch


@shared_task(name="deposits.tasks.sweep")
def sweep() -> int:
    """Every minute: send refunds not yet paid (again, with the same payout key, when the
    bank never answered), and watch refund deadlines and the calendar."""
    sent = 0
    for refund_id in refunds.to_send():
        refunds.send_refund.delay(str(refund_id))
        sent += 1
    watch.refund_deadlines()
    watch.calendar_coverage()
    return sent
