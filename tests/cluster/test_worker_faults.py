"""Celery workers killed (SIGKILL) mid-task: the opening's decryption of bids and a batch of
refunds to the bank. A new worker finishes the work and nothing is done twice — no bid's
files stored twice, no ledger entry written twice, no refund paid twice, the books balanced
to the fen. Real processes: Celery workers on Redis, the bank simulator, PostgreSQL.

A worker killed with a task in hand never acknowledges it (``CELERY_TASK_ACKS_LATE``); on
Redis the message comes back once the broker's visibility timeout has passed (decisions:
"visibility timeout"). These workers use a short one so the test need not wait an hour.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import transaction

from bench import setup
from deposits import books, reconciliation, refunds, statement, tasks
from deposits.bank_http import HttpBank
from deposits.models import BookTransaction, Refund, RefundReason, RefundStatus
from ggzy import clock
from ggzy_core.gm import envelope
from realtime import decryption, stages
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus
from supervision.models import LedgerEntry
from tests import servers
from tests.conftest import requires_postgres, requires_redis
from tests.deposits.conftest import BANK_SECRET, Payer, make_payer
from tests.deposits.conftest import bank as bank
from tests.trading.conftest import bidding, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres, requires_redis]

# Long enough for no task here to outlive it (each takes well under a second), short
# enough that a killed worker's task comes back within the test.
VISIBILITY_TIMEOUT_SECONDS = 5
FILES_PER_BID = 300  # storing them one by one gives the kill a wide window
BIDS = 4
REFUNDS = 12


def wait_for(condition: Callable[[], bool], worker: Any, log: Path, what: str) -> None:
    limit = time.monotonic() + 120
    while not condition():
        assert worker.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < limit, f"{what}: {log.read_text()[-3000:]}"
        time.sleep(0.005)


@pytest.fixture
def empty_broker() -> Iterator[None]:
    """No message left in this Redis database by an earlier run (a killed worker's unacked
    task would come back here)."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    keys = ("celery", "unacked", "unacked_index", "unacked_mutex")
    client.delete(*keys)
    yield
    client.delete(*keys)
    client.close()


@contextmanager
def worker(var_dir: Path, name: str, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A solo Celery worker (one task at a time) with a short visibility timeout; waits until
    it takes tasks."""
    log_path = var_dir / f"worker-{name}.log"
    start = (
        "from config.celery import app\n"
        "app.conf.broker_transport_options = "
        f"{{'visibility_timeout': {VISIBILITY_TIMEOUT_SECONDS}}}\n"
        "app.worker_main(['worker', '--pool=solo', '--loglevel=INFO', '--without-gossip',"
        f" '--without-mingle', '--without-heartbeat', '-n', '{name}-{os.getpid()}@%h'])\n"
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", start],
            cwd=servers.ROOT,
            env=servers.server_environment(var_dir, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: b" ready." in log_path.read_bytes(), process, log_path, "no start")
            yield process
        finally:
            servers.stop(process)


def unacknowledged() -> int:
    """Tasks a worker took and never acknowledged (kombu's Redis transport keeps them)."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        return int(cast(int, client.hlen("unacked")))  # a sync client: never an awaitable
    finally:
        client.close()


def kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()  # SIGKILL: no warm shutdown, nothing acknowledged or given back
    process.wait()


def entries(action: str, target_id: object) -> int:
    return LedgerEntry.objects.filter(action=action, target_id=str(target_id)).count()


# --- decryption ---------------------------------------------------------------------------


def sealed_bids(tmp_path: Path) -> tuple[Hall, list[tuple[setup.Party, BidOpening, bytes]]]:
    """A hall in decryption with BIDS bids of FILES_PER_BID small files each, and each
    bidder's content key, unwrapped as its own machine would."""
    parties = setup.parties(BIDS)
    section = setup.section_for_bids(parties)
    sealed = tmp_path / "bid.gbid"
    bids = []
    for number, bidder in enumerate(parties.bidders):
        folder = tmp_path / f"proposal-{number}"
        folder.mkdir()
        files = []
        for index in range(FILES_PER_BID):
            path = folder / f"page-{index:04d}.bin"
            path.write_bytes(os.urandom(4096))
            files.append(path)
        with sealed.open("wb") as out:
            result = setup.seal(section, bidder, files, out)
        with sealed.open("rb") as data:
            bid = setup.upload(section, bidder, data, result.size)
        bids.append((bidder, bid, result.manifest))
    hall = setup.open_hall(section)
    hall = stages.enter_next(hall=hall, person=parties.centre.person)  # the bidder list
    hall = stages.enter_next(hall=hall, person=parties.centre.person)  # decryption
    assert hall.stage == HallStage.DECRYPTION
    return hall, [
        (
            bidder,
            BidOpening.objects.get(hall=hall, bid=bid),
            envelope.unwrap_content_key(manifest, bidder.key),
        )
        for bidder, bid, manifest in bids
    ]


def opened_folder(opening: BidOpening) -> Path:
    return Path(default_storage.path(f"opened/{opening.bid.section.code}/{opening.bid_id}"))


def scratch(opening: BidOpening) -> Path:
    """Where the worker unpacks a bid before storing its files."""
    return Path(django_settings.VAR_DIR) / "decrypting" / str(opening.pk)


def half_stored(openings: list[BidOpening]) -> BidOpening | None:
    """A bid some of whose files are in storage and others not yet."""
    for opening in openings:
        folder = opened_folder(opening)
        try:
            count = sum(1 for _ in folder.iterdir())
        except FileNotFoundError:
            continue
        if 0 < count < FILES_PER_BID:
            return opening
    return None


def test_it_decrypts_every_bid_exactly_once_when_the_worker_dies_mid_decryption(
    tmp_path: Path, empty_broker: None
) -> None:
    hall, keyed = sealed_bids(tmp_path)
    openings = [opening for _bidder, opening, _key in keyed]
    var_dir = Path(django_settings.VAR_DIR)
    caught: list[BidOpening] = []

    with worker(var_dir, "decrypting") as first:
        with transaction.atomic():  # the window closes: every key in, the tasks queued
            for bidder, opening, key in keyed:
                decryption.submit_key(opening=opening, person=bidder.person, content_key=key)

        def storing_a_bid() -> bool:
            found = half_stored(openings)
            if found is not None:
                caught.append(found)
            return found is not None

        wait_for(storing_a_bid, first, var_dir / "worker-decrypting.log", "no bid half-stored")
        kill(first)

    # The kill landed mid-task: a bid half in storage, still decrypting.
    killed = BidOpening.objects.get(pk=caught[0].pk)
    assert killed.status == OpeningStatus.DECRYPTING
    assert 0 < sum(1 for _ in opened_folder(killed).iterdir()) < FILES_PER_BID
    assert any(scratch(killed).iterdir())  # its plaintext, unpacked before storing
    assert unacknowledged() == 1  # its task: it comes back to the next worker

    with worker(var_dir, "resuming") as second:
        wait_for(
            lambda: (
                not BidOpening.objects.filter(hall=hall, status=OpeningStatus.DECRYPTING).exists()
            ),
            second,
            var_dir / "worker-resuming.log",
            "bids still decrypting after the new worker started",
        )

    expected = [f"page-{index:04d}.bin" for index in range(FILES_PER_BID)]
    for opening in BidOpening.objects.filter(hall=hall).select_related("bid__section"):
        assert opening.status == OpeningStatus.DECRYPTED, opening.failure
        stored = decryption.stored_files(opening)
        # Every file once under its own name: none left half-written, none saved again
        # under a name storage made up because the first copy was there.
        assert [name.rsplit("/", 1)[1] for name in stored] == expected
        assert all(default_storage.size(name) == 4096 for name in stored)
        assert entries("realtime.bid.decrypted", opening.bid_id) == 1
        assert entries("realtime.bid.key_submitted", opening.bid_id) == 1
        assert entries("realtime.bid.failed", opening.bid_id) == 0
        assert not scratch(opening).exists()  # no plaintext left on the worker's disk


# --- refunds ------------------------------------------------------------------------------


def test_it_pays_every_refund_of_a_batch_exactly_once_when_the_worker_dies_mid_batch(
    bidding: Section,  # noqa: F811
    bank: servers.BankSimulator,
    tmp_path: Path,
    empty_broker: None,
) -> None:
    payers = [
        make_payer(f"退款测试单位{n:02d}有限公司", f"62220000222{n:05d}") for n in range(REFUNDS)
    ]
    paid_in = Decimal("0")
    for number, payer in enumerate(payers):
        amount = Decimal("10000.00") + Decimal(number) + Decimal("0.37")
        bank.open_account(payer.account, payer.organisation.name, str(amount))
        answer = bank.transfer(
            from_account=payer.account,
            to_account=payer.sub_account(bidding).number,
            amount=str(amount),
        )
        assert answer.status_code == 201, answer.text
        paid_in += amount
    statement.pull()
    # The bank pays at once and answers 0.3 s later: the batch is long enough to kill
    # in the middle of, and a kill in that wait leaves money moved but not booked.
    bank.faults(payout={"mode": "timeout", "seconds": 0.3})
    var_dir = Path(django_settings.VAR_DIR)
    to_the_bank = {"BANK_URL": bank.url, "BANK_SECRET": BANK_SECRET, "BANK_TIMEOUT_SECONDS": "10"}

    with worker(var_dir, "refunding", **to_the_bank) as first:
        decided = owe_all(bidding, payers)  # queued after commit, one task each

        def paid_by_the_bank_not_yet_booked() -> bool:
            paid = Refund.objects.filter(pk__in=decided, status=RefundStatus.PAID).count()
            sending = Refund.objects.filter(pk__in=decided, status=RefundStatus.SENDING)
            return paid >= 2 and any(in_flight(bank, refund) for refund in sending)

        wait_for(
            paid_by_the_bank_not_yet_booked,
            first,
            var_dir / "worker-refunding.log",
            "the batch never reached a payout made but not booked",
        )
        kill(first)

    midway = Refund.objects.filter(pk__in=decided)
    assert 2 <= midway.filter(status=RefundStatus.PAID).count() < REFUNDS
    # The kill landed mid-refund: money moved at the bank, nothing booked for it yet.
    caught = [r for r in midway.filter(status=RefundStatus.SENDING) if in_flight(bank, r)]
    assert caught
    assert not BookTransaction.objects.filter(key=f"refund:{caught[0].pk}").exists()
    assert unacknowledged() == 1

    bank.faults(payout=None)
    # The sweep (beat, every minute) sends again what has been SENDING for two minutes.
    midway.filter(status=RefundStatus.SENDING).update(sent_at=clock.now() - dt.timedelta(minutes=3))
    with worker(var_dir, "resending", **to_the_bank) as second:
        tasks.sweep.delay()
        wait_for(
            lambda: (
                Refund.objects.filter(pk__in=decided, status=RefundStatus.PAID).count() == REFUNDS
            ),
            second,
            var_dir / "worker-resending.log",
            "refunds never paid",
        )

    bank_side = client(bank)
    statement.pull()
    debits = [line for line in bank_side.statement() if line.direction == "debit"]
    paid = list(Refund.objects.filter(pk__in=decided))
    # Each payer got back exactly what it paid in, once.
    for payer in payers:
        assert Decimal(bank.balance_of(payer.account)) == sum(
            (r.total for r in paid if r.to_account == payer.account), Decimal(0)
        )
    assert sorted(line.reference for line in debits) == sorted(r.bank_reference for r in paid)
    assert sum((line.amount for line in debits), Decimal(0)) == paid_in
    for refund in paid:
        payout = bank_side.payout_status(key=refund.payout_key)
        assert payout is not None and payout.state == "done"
        assert BookTransaction.objects.filter(key=f"refund:{refund.pk}").count() == 1
        assert entries("deposits.refund.paid", refund.pk) == 1
        assert entries("deposits.refund.decided", refund.pk) == 1
    assert reconciliation.check(as_of=clock.now() + dt.timedelta(seconds=1)).ok


def owe_all(section: Section, payers: list[Payer]) -> list[Any]:
    decided = []
    for payer in payers:
        refund = refunds.owe(
            account=books.deposit_account(section, payer.organisation),
            reason=RefundReason.WITHDRAWN,
        )
        assert refund is not None
        decided.append(refund.pk)
    return decided


def in_flight(bank: servers.BankSimulator, refund: Refund) -> bool:
    """The bank has made this refund's payout (the platform may not know yet)."""
    return bool(refund.payout_key) and client(bank).payout_status(key=refund.payout_key) is not None


def client(bank: servers.BankSimulator) -> HttpBank:
    return HttpBank(url=bank.url, secret=BANK_SECRET, timeout=5)
