"""The head producer: the only writer of the public Merkle tree (docs/ledger.md, "The
transparency log").

At every tick (``supervision.tasks.publish_tree_head``, every ``LEDGER_TREE_HEAD_SECONDS``)
it adds the entries that became visible since the last tick as leaves, in sequence order,
and signs a tree head — whether or not anything changed: a head that appeared only after
activity would tell the world that something (a bid) happened [E21, E27].

Which entries are visible is ``ledger.visible`` at the tick's time: no embargo scope, or a
scope whose seal has passed. A tick looks at two small sets, never the whole ledger:

- the entries after the cursor (the last sequence a tick has seen): plain ones become leaves;
  embargoed ones become leaves only if their scope has already been entered (it was lifted
  and stays lifted); the others wait for their scope;
- the scopes whose seal has passed and that have not been entered under that seal: all their
  entries that are not yet leaves enter now, in one batch, in sequence order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from ggzy import clock, signing
from ggzy_core import merkle, tree_head
from supervision import ledger
from supervision.models import (
    LedgerEmbargo,
    LedgerEntry,
    LedgerHead,
    LedgerLeaf,
    LedgerTreeHead,
    LedgerTreeNode,
    LedgerTreeScope,
    LedgerTreeState,
)

MAX_FRESH_PER_TICK = 20_000
# Scopes entered per tick: hundreds of deadlines never pass in one minute; only the first
# tick over an old ledger meets more, and catches up over several ticks.
MAX_SCOPES_PER_TICK = 500


@dataclass(frozen=True)
class Batch:
    """What one tick adds: the entries (in the order they become leaves) and the scopes
    entered with them (scope → the seal they entered under)."""

    entries: list[LedgerEntry]
    scopes: dict[str, dt.datetime]


def publish_head() -> LedgerTreeHead:
    """Add what became visible and sign a head of the tree. Safe to run twice and from two
    processes at once (they take turns on the state row; each signs its own head)."""
    with transaction.atomic():
        state = _locked_state()
        # Read after the lock: heads' times never run backwards. Read before the work:
        # the timestamp does not depend on how much was added.
        now = clock.now()
        frontier = (
            merkle.Frontier.from_json(state.frontier) if state.frontier else merkle.Frontier()
        )
        committed = _committed_sequence()
        # Bounded work per tick (a first tick over an old ledger catches up over several).
        upto = min(committed, state.cursor + MAX_FRESH_PER_TICK)
        batch = _batch(cursor=state.cursor, upto=upto, committed=committed, now=now)
        _add_leaves(frontier, batch.entries)
        for scope, until in batch.scopes.items():
            LedgerTreeScope.objects.update_or_create(scope=scope, defaults={"until": until})
        state.frontier = frontier.to_json()
        state.cursor = max(state.cursor, upto)
        state.save(update_fields=["frontier", "cursor"])
        # Hand nothing on that a crash could take back (docs/ledger.md, "Appends and
        # concurrency"): the head must never name an entry that is not yet durable.
        ledger.make_durable()
        return sign(tree_size=frontier.size, root=frontier.root(), now=now)


def _locked_state() -> LedgerTreeState:
    state = LedgerTreeState.objects.select_for_update().filter(pk=1).first()
    if state is not None:
        return state
    # The first tick: two processes may race to create the row; the loser locks the winner's.
    try:
        with transaction.atomic():
            LedgerTreeState.objects.create(pk=1, frontier=merkle.Frontier().to_json(), cursor=0)
    except IntegrityError:
        pass
    return LedgerTreeState.objects.select_for_update().get(pk=1)


def _committed_sequence() -> int:
    """The last committed sequence. Appenders hold the chain's head lock until they commit,
    so every entry up to it is committed and none after it can appear below it later."""
    head = LedgerHead.objects.filter(pk=1).values_list("sequence", flat=True).first()
    return int(head or 0)


def _batch(*, cursor: int, upto: int, committed: int, now: dt.datetime) -> Batch:
    lifting = _scopes_lifting(now)
    fresh = LedgerEntry.objects.filter(
        sequence__gt=cursor, sequence__lte=upto, leaf__isnull=True
    ).order_by("sequence")
    new = list(fresh.iterator(chunk_size=2000))
    entered = _scopes_entered({entry.embargo for entry in new if entry.embargo}, now)
    chosen = {
        entry.sequence: entry for entry in new if not entry.embargo or entry.embargo in entered
    }
    if lifting:
        # The whole batch of each scope whose seal just passed: every entry not yet a leaf.
        waiting = LedgerEntry.objects.filter(
            embargo__in=list(lifting), sequence__lte=committed, leaf__isnull=True
        )
        chosen.update((entry.sequence, entry) for entry in waiting.iterator(chunk_size=2000))
    return Batch(entries=[chosen[key] for key in sorted(chosen)], scopes=lifting)


def _scopes_lifting(now: dt.datetime) -> dict[str, dt.datetime]:
    """Scopes whose seal has passed and which have not been entered under that seal: new
    ones, and ones whose seal moved since they were entered."""
    entered_as_is = LedgerTreeScope.objects.filter(scope=OuterRef("scope"), until=OuterRef("until"))
    rows = (
        LedgerEmbargo.objects.filter(until__lte=now)
        .exclude(Exists(entered_as_is))
        .order_by("until", "scope")
        .values_list("scope", "until")
    )
    return dict(rows[:MAX_SCOPES_PER_TICK])


def _scopes_entered(scopes: set[str], now: dt.datetime) -> set[str]:
    """Of ``scopes``, those entered under the seal they still have, which has passed: their
    later entries are visible as soon as they are written."""
    if not scopes:
        return set()
    still = LedgerEmbargo.objects.filter(
        scope=OuterRef("scope"), until=OuterRef("until"), until__lte=now
    )
    entered = LedgerTreeScope.objects.filter(Exists(still), scope__in=scopes)
    return set(entered.values_list("scope", flat=True))


def iso(moment: dt.datetime) -> str:
    """A head's time as the ledger writes times: ISO 8601, UTC, microseconds."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _add_leaves(frontier: merkle.Frontier, entries: Iterable[LedgerEntry]) -> None:
    leaves: list[LedgerLeaf] = []
    nodes: list[LedgerTreeNode] = []
    for entry in entries:
        leaf = tree_head.entry_leaf_hash(ledger.record_of(entry))
        leaves.append(LedgerLeaf(index=frontier.size, entry=entry, leaf_hash=leaf.hex()))
        nodes.extend(
            LedgerTreeNode(level=level, index=index, hash=hash_.hex())
            for level, index, hash_ in frontier.append(leaf)
        )
    LedgerLeaf.objects.bulk_create(leaves, batch_size=2000)
    LedgerTreeNode.objects.bulk_create(nodes, batch_size=2000)


def sign(*, tree_size: int, root: bytes, now: dt.datetime) -> LedgerTreeHead:
    """Sign and store a head (only ``publish_head`` calls it in the platform)."""
    timestamp = iso(now)
    head = tree_head.sign_tree_head(
        tree_size=tree_size,
        root_hash=root,
        timestamp=timestamp,
        key=signing.platform_private_key(),
    )
    # Not ledgered: a head is a signed, append-only row of its own, and an entry per tick
    # would grow the tree at every tick (as for checkpoints, docs/ledger.md).
    return LedgerTreeHead.objects.create(
        tree_size=head["tree_size"],
        root_hash=head["root_hash"],
        timestamp=dt.datetime.fromisoformat(timestamp),
        key_fingerprint=head["key_fingerprint"],
        signature=bytes.fromhex(head["signature"]),
    )
