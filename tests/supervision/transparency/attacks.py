"""What a dishonest operator could do to the transparency log, for the monitor's tests
(``ggzy-bid log monitor`` must report both): rewrite an entry and everything that depends on
it, or sign a second head of the same size with another root.

Both act as the strongest operator: the database owner (the append-only triggers are
switched off for the transaction) holding the platform's signing key. What they cannot do
is make heads that others pinned before the rewrite agree with the new tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import models, transaction

from ggzy import clock
from ggzy_core import ledger_chain as chain
from ggzy_core import merkle, tree_head
from supervision import ledger
from supervision.models import (
    LedgerEntry,
    LedgerHead,
    LedgerLeaf,
    LedgerTreeHead,
    LedgerTreeNode,
    LedgerTreeState,
)
from supervision.transparency import producer, proofs


def rewrite_entry(sequence: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Replace entry ``sequence``'s data; recompute the chain after it, its leaf, every
    stored node above the leaf and the tree's right edge; sign a new head (of the same
    size as the latest) over the rewritten tree. Returns that head's JSON."""
    with transaction.atomic(), _triggers_off():
        _raw(LedgerEntry).filter(sequence=sequence).update(data=dict(data))
        _rechain(sequence)
        leaf = _raw(LedgerLeaf).filter(entry_id=sequence).first()
        if leaf is not None:
            entry = LedgerEntry.objects.get(sequence=sequence)
            new_hash = tree_head.entry_leaf_hash(ledger.record_of(entry))
            _raw(LedgerLeaf).filter(index=leaf.index).update(leaf_hash=new_hash.hex())
            _rehash_above(leaf.index, new_hash)
        frontier = _frontier_from_nodes()
        _raw(LedgerTreeState).filter(pk=1).update(frontier=frontier.to_json())
        head = producer.sign(tree_size=frontier.size, root=frontier.root(), now=clock.now())
    return proofs.head_json(head)


def fork_head() -> dict[str, Any]:
    """Sign a head of the latest head's size with a different root, and publish it."""
    latest = LedgerTreeHead.objects.order_by("-id").first()
    size = latest.tree_size if latest is not None else 0
    root = bytes.fromhex(latest.root_hash) if latest is not None else merkle.EMPTY_ROOT
    forged = merkle.node_hash(root, b"\xff" * merkle.HASH_SIZE)
    head = producer.sign(tree_size=size, root=forged, now=clock.now())
    return proofs.head_json(head)


@contextmanager
def _triggers_off() -> Iterator[None]:
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _raw(model: type[models.Model]) -> models.QuerySet[Any]:
    """A plain queryset: no append-only refusal in Python."""
    return models.QuerySet(model)


def _rechain(start: int) -> None:
    previous = (
        LedgerEntry.objects.filter(sequence=start - 1).values_list("entry_hash", flat=True).first()
        or chain.GENESIS_HASH
    )
    last = start - 1
    for entry in LedgerEntry.objects.filter(sequence__gte=start).order_by("sequence"):
        record = ledger.record_of(entry)
        record["previous_hash"] = previous
        record.pop("entry_hash")
        previous = chain.entry_hash(record)
        _raw(LedgerEntry).filter(sequence=entry.sequence).update(
            previous_hash=record["previous_hash"], entry_hash=previous
        )
        last = entry.sequence
    _raw(LedgerHead).filter(pk=1).update(sequence=last, entry_hash=previous)


def _rehash_above(index: int, leaf_hash: bytes) -> None:
    _raw(LedgerTreeNode).filter(level=0, index=index).update(hash=leaf_hash.hex())
    level, at = 0, index
    while True:
        sibling = at ^ 1
        pair = _stored(level, min(at, sibling)), _stored(level, max(at, sibling))
        parent = _raw(LedgerTreeNode).filter(level=level + 1, index=at // 2)
        if None in pair or not parent.exists():
            return
        left, right = pair
        assert left is not None and right is not None
        parent.update(hash=merkle.node_hash(left, right).hex())
        level, at = level + 1, at // 2


def _stored(level: int, index: int) -> bytes | None:
    row = LedgerTreeNode.objects.filter(level=level, index=index).values_list("hash", flat=True)
    found = row.first()
    return bytes.fromhex(found) if found else None


def _frontier_from_nodes() -> merkle.Frontier:
    size = LedgerLeaf.objects.count()
    edge = []
    covered = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            found = _stored(level, covered >> level)
            assert found is not None
            edge.append(found.hex())
            covered += 1 << level
    return merkle.Frontier.from_json({"size": size, "edge": edge})
