"""The head producer: the published entries become leaves in publication order, a head is
signed at every tick, and embargoed entries enter only with the first head after their
scope's seal passed, in one batch, in sequence order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from ggzy import clock, signing
from ggzy_core import merkle, tree_head
from supervision import ledger
from supervision.models import LedgerEntry, LedgerLeaf, LedgerTreeHead, LedgerTreeNode
from supervision.transparency import proofs
from supervision.transparency.producer import publish_head

pytestmark = pytest.mark.django_db

SCOPE = "trading.section:77"
START = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
DEADLINE = START + dt.timedelta(hours=2)


@pytest.fixture
def clock_at_start() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def plain(n: int) -> LedgerEntry:
    return ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": n})


def bid(n: int) -> LedgerEntry:
    return ledger.append(
        "bidding.bid.received", actor=ledger.SYSTEM, data={"bid": n}, embargo=SCOPE
    )


def leaf_sequences() -> list[int]:
    return list(LedgerLeaf.objects.order_by("index").values_list("entry_id", flat=True))


def memory_root() -> bytes:
    tree = merkle.MemoryTree()
    for sequence in leaf_sequences():
        entry = LedgerEntry.objects.get(sequence=sequence)
        tree.append(tree_head.entry_leaf_hash(ledger.record_of(entry)))
    return tree.root()


def verifies(head: LedgerTreeHead) -> bool:
    return tree_head.verify_tree_head(proofs.head_json(head), signing.platform_public_key())


def test_plain_entries_become_leaves_in_sequence_order(clock_at_start: object) -> None:
    first = [plain(n).sequence for n in range(3)]
    head = publish_head()
    assert head.tree_size == 3
    assert leaf_sequences() == first
    assert bytes.fromhex(head.root_hash) == memory_root()
    assert verifies(head)


def test_a_head_is_signed_at_every_tick_even_when_nothing_changed(
    clock_at_start: time_machine.Traveller,
) -> None:
    plain(1)
    one = publish_head()
    clock_at_start.shift(dt.timedelta(minutes=1))
    two = publish_head()
    assert LedgerTreeHead.objects.count() == 2
    assert (two.tree_size, two.root_hash) == (one.tree_size, one.root_hash)
    assert two.timestamp == one.timestamp + dt.timedelta(minutes=1)
    assert verifies(one) and verifies(two)


def test_an_empty_ledger_gets_a_signed_head_of_the_empty_tree(clock_at_start: object) -> None:
    head = publish_head()
    assert head.tree_size == 0
    assert bytes.fromhex(head.root_hash) == merkle.EMPTY_ROOT
    assert verifies(head)


def test_embargoed_entries_enter_in_one_batch_at_the_first_head_after_the_seal(
    clock_at_start: time_machine.Traveller,
) -> None:
    ledger.seal(SCOPE, until=DEADLINE)
    plain(0)
    bids = [bid(1).sequence]
    later = plain(2).sequence
    bids.append(bid(3).sequence)
    before = publish_head()
    assert before.tree_size == 2
    assert set(leaf_sequences()).isdisjoint(bids)

    clock_at_start.move_to(DEADLINE - dt.timedelta(microseconds=1))
    assert publish_head().tree_size == 2

    clock_at_start.move_to(DEADLINE)
    after = plain(4).sequence
    at_deadline = publish_head()
    assert at_deadline.tree_size == 5
    # The batch and what arrived with it, in sequence order, after what was already there.
    assert leaf_sequences()[2:] == sorted([*bids, after])
    assert leaf_sequences()[:2] == [bids[0] - 1, later]
    assert bytes.fromhex(at_deadline.root_hash) == memory_root()
    assert verifies(at_deadline)


def test_entries_written_in_a_scope_after_its_seal_passed_enter_at_the_next_tick(
    clock_at_start: time_machine.Traveller,
) -> None:
    ledger.seal(SCOPE, until=DEADLINE)
    bid(1)
    clock_at_start.move_to(DEADLINE)
    publish_head()
    late = bid(2).sequence  # e.g. an upload that expired at the deadline
    head = publish_head()
    assert head.tree_size == 2
    assert leaf_sequences()[-1] == late


def test_a_moved_seal_keeps_the_batch_out_until_the_new_deadline(
    clock_at_start: time_machine.Traveller,
) -> None:
    ledger.seal(SCOPE, until=DEADLINE)
    hidden = bid(1).sequence
    ledger.seal(SCOPE, until=DEADLINE + dt.timedelta(days=15))  # a clarification [R21]
    clock_at_start.move_to(DEADLINE + dt.timedelta(minutes=3))
    assert publish_head().tree_size == 0
    clock_at_start.move_to(DEADLINE + dt.timedelta(days=15))
    assert publish_head().tree_size == 1
    assert leaf_sequences() == [hidden]


def test_a_scope_never_sealed_stays_out_of_the_tree(clock_at_start: object) -> None:
    bid(1)
    assert publish_head().tree_size == 0


def test_running_it_twice_in_a_row_adds_nothing_twice(clock_at_start: object) -> None:
    ledger.seal(SCOPE, until=START)
    for n in range(3):
        plain(n)
        bid(n)
    one = publish_head()
    two = publish_head()
    assert one.tree_size == two.tree_size == 6
    assert one.root_hash == two.root_hash
    assert LedgerLeaf.objects.count() == 6
    assert len(set(leaf_sequences())) == 6


def test_the_root_equals_a_memory_tree_over_the_same_leaves_tick_after_tick(
    clock_at_start: time_machine.Traveller,
) -> None:
    ledger.seal(SCOPE, until=START + dt.timedelta(minutes=5))
    for tick in range(8):
        for n in range(tick % 3 + 1):
            plain(n)
        bid(tick)
        head = publish_head()
        assert bytes.fromhex(head.root_hash) == memory_root()
        assert verifies(head)
        clock_at_start.shift(dt.timedelta(minutes=1))
    # Every stored node is the complete subtree it names.
    tree = merkle.MemoryTree()
    for sequence in leaf_sequences():
        tree.append(
            tree_head.entry_leaf_hash(ledger.record_of(LedgerEntry.objects.get(pk=sequence)))
        )
    for level, index, hash_ in LedgerTreeNode.objects.values_list("level", "index", "hash"):
        assert tree.node(level, index).hex() == hash_


def test_a_leaf_carries_no_sequence_and_no_previous_hash(clock_at_start: object) -> None:
    entry = plain(1)
    publish_head()
    record = ledger.record_of(entry)
    leaf = LedgerLeaf.objects.get(entry=entry)
    changed = {**record, "sequence": 999, "previous_hash": "0" * 64}
    assert tree_head.entry_leaf_hash(changed).hex() == leaf.leaf_hash
    assert clock.now() == START


def test_a_long_backlog_is_caught_up_over_ticks_without_adding_anything_twice(
    clock_at_start: time_machine.Traveller, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervision.transparency import producer

    monkeypatch.setattr(producer, "MAX_FRESH_PER_TICK", 2)
    ledger.seal(SCOPE, until=START)
    plain(0)
    bid(1)
    plain(2)
    bid(3)
    plain(4)
    sizes = [publish_head().tree_size for _ in range(4)]
    # The lifted scope's batch enters whole at the first tick; the backlog two a tick.
    assert sizes == [3, 4, 5, 5]
    assert len(set(leaf_sequences())) == 5
    assert bytes.fromhex(LedgerTreeHead.objects.latest("id").root_hash) == memory_root()


def test_the_beat_task_signs_a_head_and_returns_its_size(clock_at_start: object) -> None:
    from supervision import tasks

    plain(1)
    assert tasks.publish_tree_head() == 1
    assert LedgerTreeHead.objects.count() == 1


def test_many_scopes_lifting_at_once_enter_over_several_ticks_each_whole(
    clock_at_start: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervision.transparency import producer

    monkeypatch.setattr(producer, "MAX_SCOPES_PER_TICK", 1)
    other = "trading.section:78"
    ledger.seal(SCOPE, until=START - dt.timedelta(minutes=2))
    ledger.seal(other, until=START - dt.timedelta(minutes=1))
    first = [bid(1).sequence, bid(2).sequence]
    second = ledger.append("bidding.bid.received", actor=ledger.SYSTEM, embargo=other).sequence
    assert publish_head().tree_size == 2
    assert leaf_sequences() == first
    assert publish_head().tree_size == 3
    assert leaf_sequences() == [*first, second]
