"""A Celery worker killed between the bank's payout and the commit that books it: the refund
is neither lost nor paid twice. Real processes: the bank simulator, Celery workers, the
broker (Redis when set) and the database."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from deposits import books, reconciliation, refunds, statement, tasks
from deposits.bank_http import HttpBank
from deposits.models import BookTransaction, Refund, RefundReason, RefundStatus
from ggzy import clock
from tests import servers
from tests.deposits.conftest import BANK_SECRET, Payer
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Callable[[], bool], worker: Any, log: Path, what: str) -> None:
    limit = time.monotonic() + 60
    while not condition():
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < limit, f"{what}: {log.read_text()[-3000:]}"
        time.sleep(0.1)


def test_a_worker_killed_after_the_bank_paid_neither_loses_nor_doubles_the_refund(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator, tmp_path: Path
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "800000.00")
    paid_in = bank.transfer(
        from_account=payer.account,
        to_account=payer.sub_account(bidding).number,
        amount="800000.00",
    )
    assert paid_in.status_code == 201, paid_in.text
    statement.pull()
    # The payout is made at once, and answered only after the worker has been killed.
    bank.faults(payout={"mode": "timeout", "seconds": 30, "times": 1})
    var_dir = Path(django_settings.VAR_DIR)  # the broker's folder when Redis is not set
    log = var_dir / "worker.log"
    to_the_bank = {"BANK_URL": bank.url, "BANK_SECRET": BANK_SECRET, "BANK_TIMEOUT_SECONDS": "25"}

    with servers.celery_worker(var_dir, **to_the_bank) as worker:
        # Deciding the refund queues its payout after commit; the worker takes it.
        refund = refunds.owe(
            account=books.deposit_account(bidding, payer.organisation),
            reason=RefundReason.WITHDRAWN,
        )
        assert refund is not None

        def bank_has_paid() -> bool:
            key = Refund.objects.get(pk=refund.pk).payout_key
            payout = client(bank).payout_status(key=key) if key else None
            return payout is not None and payout.state == "done"

        wait_for(bank_has_paid, worker, log, "the bank never received the payout")
        worker.kill()  # SIGKILL: between the bank's payout and the commit that books it
        worker.wait()

    sending = Refund.objects.get(pk=refund.pk)
    assert sending.status == RefundStatus.SENDING
    assert not BookTransaction.objects.filter(key=f"refund:{refund.pk}").exists()
    assert bank.balance_of(payer.account) == "800000.00"  # the money has left the platform

    bank.faults(payout=None)
    # Two minutes later the sweep finds it unanswered and a new worker sends it again.
    Refund.objects.filter(pk=refund.pk).update(sent_at=clock.now() - dt.timedelta(minutes=3))
    with servers.celery_worker(var_dir, **to_the_bank) as worker:
        tasks.sweep.delay()
        wait_for(
            lambda: Refund.objects.get(pk=refund.pk).status == RefundStatus.PAID,
            worker,
            log,
            "the refund was never settled",
        )

    paid = Refund.objects.get(pk=refund.pk)
    assert paid.payout_key == sending.payout_key  # the same payout, asked about again
    assert bank.balance_of(payer.account) == "800000.00"  # paid once, not twice
    assert BookTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1
    statement.pull()
    debits = [line for line in client(bank).statement() if line.direction == "debit"]
    assert [line.reference for line in debits] == [paid.bank_reference]
    assert reconciliation.check(as_of=clock.now() + dt.timedelta(seconds=1)).ok


def client(bank: servers.BankSimulator) -> HttpBank:
    return HttpBank(url=bank.url, secret=BANK_SECRET, timeout=5)
