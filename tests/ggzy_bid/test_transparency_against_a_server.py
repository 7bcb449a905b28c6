"""``ggzy-bid receipt proof``, ``receipt verify --proof`` and ``log monitor`` as a bidder runs
them: in their own processes, against a real daphne on the real clock, with tree heads produced
in this process by the head producer (as the beat task would) and the operator's attacks of
tests/supervision/transparency/attacks.py (test_transparency_commands.py covers each case
in-process)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from accounts import services as account_services
from ggzy import clock, signing
from ggzy_bid.commands.transparency import default_proof_path
from supervision import ledger
from supervision.transparency.producer import publish_head
from tests import servers
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid
from tests.supervision.transparency import attacks
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)


def run_tool(url: str, token: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ggzy-bid *args`` in its own process, as a bidder runs it."""
    return subprocess.run(
        [sys.executable, "-m", "ggzy_bid.cli", *args],
        cwd=servers.ROOT,
        env={**os.environ, "GGZY_SERVER": url, "GGZY_TOKEN": token, "XDG_CONFIG_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def close_bidding(section: Section) -> None:
    """The deadline a second ago, the ledger's seal moved with it (as a real deadline)."""
    deadline = clock.now() - dt.timedelta(seconds=1)
    with transaction.atomic():
        Section.objects.filter(pk=section.pk).update(bid_deadline=deadline)
        ledger.seal(section.embargo_scope, until=deadline)


def test_a_bidder_proves_its_receipt_is_in_the_public_log_against_a_real_server(
    published: Section, tmp_path: Path
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    with transaction.atomic():
        ledger.seal(section.embargo_scope, until=section.bid_deadline)
    bidder = make_bidder("透明日志验证建设有限公司")
    _instance, token = account_services.token_issue(person=bidder.person)
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(seal_bid(section, bidder, tmp_path))
    receipt, state = str(tmp_path / "bid.gbid.receipt.json"), str(tmp_path / "pins.json")
    platform = tmp_path / "platform.pem"
    platform.write_bytes(signing.platform_public_key().to_pem())
    publish_head()

    with servers.daphne(tmp_path) as daphne:
        tool = functools.partial(run_tool, daphne.url, token, tmp_path)
        submitted = tool("submit", str(bid_file), "--section", section.code)
        assert submitted.returncode == 0, submitted.stderr
        early = tool("receipt", "proof", receipt)
        close_bidding(section)
        publish_head()
        saved = tool("receipt", "proof", receipt)
        monitored = tool("log", "monitor", "--state", state, "--platform-key", str(platform))

    assert early.returncode == 3, early.stderr
    assert "请届时再试" in early.stderr and "run this again after it" in early.stderr
    assert saved.returncode == 0, saved.stderr
    assert monitored.returncode == 0, monitored.stderr
    # The server is gone: the receipt, its proof and the pins check offline.
    offline = run_tool("http://127.0.0.1:9", "", tmp_path, "receipt", "verify", receipt,
                       "--platform-key", str(platform), "--pins", state)  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr
    size = json.loads(default_proof_path(receipt).read_text())["tree_head"]["tree_size"]
    assert "OK 账本证明有效 / ledger proof valid: the entry bidding.bid.received" in offline.stdout
    assert "OK 账本记录与回执一致 / the ledger entry matches the receipt" in offline.stdout
    assert f"the same as your pinned head of size {size}" in offline.stdout


def test_log_monitor_catches_a_rewritten_entry_and_a_forked_head_from_a_real_server(
    tmp_path: Path,
) -> None:
    platform = tmp_path / "platform.pem"
    platform.write_bytes(signing.platform_public_key().to_pem())
    target = ledger.append("tests.monitor.award", data={"winner": "江南建工集团有限公司"})
    publish_head()

    with servers.daphne(tmp_path) as daphne:

        def monitor(state: str) -> subprocess.CompletedProcess[str]:
            return run_tool(daphne.url, "", tmp_path, "log", "monitor", "--state", state,
                            "--platform-key", str(platform))  # fmt: skip

        pinned = str(tmp_path / "pins.json")
        first = monitor(pinned)
        ledger.append("tests.monitor.tick", data={"n": 1})
        publish_head()
        second = monitor(pinned)
        # The strongest operator: rewrites the entry as a database owner, recomputes the leaf
        # and every node above it and signs a new head; the log then grows on.
        attacks.rewrite_entry(target.sequence, {"winner": "长江路桥工程有限公司"})
        ledger.append("tests.monitor.tick", data={"n": 2})
        publish_head()
        rewritten = monitor(pinned)
        fresh = str(tmp_path / "fresh.json")  # someone who starts watching after the rewrite
        started = monitor(fresh)
        attacks.fork_head()
        forked = monitor(fresh)

    assert first.returncode == 0 and "first head pinned" in first.stdout, first.stderr
    assert second.returncode == 0 and "extends your pinned head" in second.stdout, second.stderr
    assert rewritten.returncode == 1, rewritten.stdout + rewritten.stderr
    assert "the log was rewritten or forked between size" in rewritten.stderr
    assert "日志在大小" in rewritten.stderr and "被改写或分叉" in rewritten.stderr
    assert rewritten.stdout.count('"format": "ggzy-tree-head/1"') == 2  # both signed heads
    assert started.returncode == 0, started.stderr
    assert forked.returncode == 1, forked.stdout + forked.stderr
    assert "FORK: the same size with a different root" in forked.stderr
    heads = json.loads(Path(pinned).read_text())["heads"]
    assert len(heads) == 2  # nothing was pinned after the inconsistency
