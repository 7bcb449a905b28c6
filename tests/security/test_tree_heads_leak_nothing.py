"""Published tree heads reveal nothing about bids before the deadline [E21, E27].

Two platforms share one history up to a moment in the bidding period, then part: on one
nobody bids; on the other three companies bid and a fourth pays its deposit. Both do the
same visible things afterwards (an entry anyone may read, a checkpoint) and sign heads at
the same ticks. Every head before the deadline is identical on both — size, root and
time — and every signature is valid; from the first head at the deadline they differ (the
bids' batch enters), so the comparison could fail.

The platforms part inside one database (a savepoint rolled back between them, as in
test_nothing_before_the_deadline): the shared history carries the same keys, people and
ids on both, which two fresh databases could not (keys are random); what differs is
exactly the bids and the deposit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from ggzy import clock, signing
from ggzy_core import tree_head
from supervision import ledger
from supervision.transparency import proofs
from supervision.transparency.producer import iso, publish_head
from tests.bidding.conftest import Bidder
from tests.security.test_nothing_before_the_deadline import a_fourth_company, pays_a_deposit
from tests.security.world import submit_bid
from trading.models import Section

pytestmark = pytest.mark.django_db


def ticks(section: Section) -> list[dt.datetime]:
    """The beat's ticks: three in the bidding period, the last before the deadline, and two
    from the deadline on."""
    now = clock.now()
    deadline = section.bid_deadline
    return [
        now + dt.timedelta(minutes=1),
        now + dt.timedelta(minutes=2),
        deadline - dt.timedelta(microseconds=1),
        deadline,
        deadline + dt.timedelta(minutes=1),
    ]


def public(head: dict[str, Any]) -> tuple[int, str, str]:
    return head["tree_size"], head["root_hash"], head["timestamp"]


def a_platform(section: Section, bids: list[Any]) -> list[dict[str, Any]]:
    """Make ``bids`` (callables) happen, then the same visible things; sign a head at each
    tick. Everything is rolled back afterwards: the next platform starts from the same
    history."""
    heads = []
    with transaction.atomic():
        for make in bids:
            make()
        for moment in ticks(section):
            with time_machine.travel(moment, tick=False):
                ledger.append("trading.section.viewed", actor=ledger.SYSTEM, data={"n": 1})
                ledger.checkpoint()
                heads.append(proofs.head_json(publish_head()))
        transaction.set_rollback(True)
    return heads


def test_heads_before_the_deadline_do_not_depend_on_how_many_have_bid(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    fourth = a_fourth_company()
    publish_head()  # the log already has a history when the platforms part
    quiet = a_platform(section, [])
    busy = a_platform(
        section,
        [
            *(
                (lambda b=bidder, i=index: submit_bid(section, b, tmp_path, i))
                for index, bidder in enumerate(bidders)
            ),
            lambda: pays_a_deposit(section, fourth),
        ],
    )
    key = signing.platform_public_key()
    assert all(tree_head.verify_tree_head(head, key) for head in quiet + busy)
    before = [head for head in quiet if head["timestamp"] < iso(section.bid_deadline)]
    assert len(before) == 3
    # Size, root and time: the signed message (SM2 signatures themselves are randomised).
    assert [public(head) for head in quiet[:3]] == [public(head) for head in busy[:3]]
    after_quiet, after_busy = quiet[3:], busy[3:]
    assert all(
        q["tree_size"] < b["tree_size"] for q, b in zip(after_quiet, after_busy, strict=True)
    )
    assert all(
        q["root_hash"] != b["root_hash"] for q, b in zip(after_quiet, after_busy, strict=True)
    )
