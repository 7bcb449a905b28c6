"""Thin, idempotent tasks: they take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from deposits import reconciliation, refunds, statement, watch
from deposits.bank import BankUnavailable
from deposits.guarantee_claims import send_guarantee_claim

__all__ = ["check_books", "pull_statement", "send_guarantee_claim", "sweep"]

log = logging.getLogger(__name__)


@shared_task(name="deposits.tasks.sweep")
def sweep() -> int:
    """Every minute: send refunds not yet paid (again, with the same payout key, when the
    bank never answered), and watch refund deadlines, the calendar and unanswered claims."""
    sent = 0
    for refund_id in refunds.to_send():
        refunds.send_refund.delay(str(refund_id))
        sent += 1
    watch.refund_deadlines()
    watch.calendar_coverage()
    watch.unanswered_claims()
    return sent


@shared_task(name="deposits.tasks.pull_statement")
def pull_statement() -> dict[str, object]:
    """Every few minutes (beat): record statement lines the callbacks did not bring."""
    try:
        imported = statement.pull()
    except BankUnavailable as exc:
        # The next pull asks for the same days again; nothing is lost by skipping one.
        log.warning("statement pull skipped: %s", exc)
        return {"skipped": str(exc)}
    return imported.as_data()


@shared_task(name="deposits.tasks.check_books")
def check_books() -> dict[str, object]:
    """Daily (beat): the books balance and agree with the bank, or an alert says where not."""
    return reconciliation.check_and_alert().summary()
