"""Reading the public tree: signed heads, consistency and inclusion proofs, a bid's proof
bundle. Proofs come from the stored complete-subtree nodes: one query for the nodes a proof
reads (``merkle.inclusion_nodes`` / ``consistency_nodes``), then ``ggzy_core.merkle``.

Refusals are ``DomainError`` (bilingual): ``invalid`` → 400, ``not_found`` → 404,
``conflict`` → 409 (ggzy/api.py).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from functools import reduce
from typing import Any

from django.db.models import Q

from ggzy.errors import DomainError
from ggzy_core import merkle, tree_head
from ggzy_core.times import beijing
from supervision import ledger
from supervision.models import LedgerEntry, LedgerLeaf, LedgerTreeHead, LedgerTreeNode
from supervision.transparency.producer import iso

MAX_HEADS = 500
DEFAULT_HEADS = 100
BID_ACTIONS = ("bidding.bid.received", "bidding.bid.replaced")
HEX_HASH = re.compile(r"^[0-9a-f]{64}$")


def head_json(head: LedgerTreeHead) -> dict[str, Any]:
    """A signed tree head as anyone pins it (interfaces: ggzy-tree-head/1)."""
    return {
        "format": tree_head.TREE_HEAD_FORMAT,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": iso(head.timestamp),
        "signature": bytes(head.signature).hex(),
        "key_fingerprint": head.key_fingerprint,
    }


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def latest_head() -> LedgerTreeHead:
    head = LedgerTreeHead.objects.order_by("-id").first()
    if head is None:
        raise DomainError(
            "尚未发布任何树头；平台每分钟签发一次，请稍后再试 / No tree head has been "
            "published yet; the platform signs one every minute: try again shortly",
            code="not_found",
        )
    return head


def published_size() -> int:
    head = LedgerTreeHead.objects.order_by("-id").values_list("tree_size", flat=True).first()
    return int(head or 0)


def heads_after(after: dt.datetime | None, limit: int) -> list[LedgerTreeHead]:
    """Heads signed strictly after ``after`` (all if ``None``), oldest first, at most
    ``limit`` (1..500)."""
    if not 1 <= limit <= MAX_HEADS:
        raise DomainError(
            f"limit 须在 1 到 {MAX_HEADS} 之间 / limit must be between 1 and {MAX_HEADS}",
            code="invalid",
            field="limit",
        )
    heads = LedgerTreeHead.objects.order_by("timestamp", "id")
    if after is not None:
        heads = heads.filter(timestamp__gt=after)
    return list(heads[:limit])


def consistency(*, first: int, second: int) -> list[bytes]:
    """RFC 9162 2.1.4.1 proof that the tree of ``first`` leaves is a prefix of the tree of
    ``second``; both must be sizes a head has been published for, or below the latest."""
    latest = published_size()
    if not 0 < first <= second <= latest:
        raise DomainError(
            f"须满足 0 < first ≤ second ≤ {latest}（最新已发布树头的大小） / first and second "
            f"must satisfy 0 < first ≤ second ≤ {latest} (the latest published tree size)",
            code="invalid",
        )
    nodes = _nodes(merkle.consistency_nodes(first, second))
    return merkle.consistency_proof(first, second, lambda level, index: nodes[(level, index)])


def inclusion(*, leaf_hash: str, tree_size: int) -> tuple[int, list[bytes]]:
    """The index of the first leaf with ``leaf_hash`` among the first ``tree_size`` and its
    RFC 9162 2.1.3.1 path. Only published entries are leaves: asking about an embargoed
    entry's hash answers exactly as for a hash that was never written [E21]."""
    if not HEX_HASH.match(leaf_hash):
        raise DomainError(
            "leaf_hash 须为 64 位小写十六进制 / leaf_hash must be 64 lower-case hex digits",
            code="invalid",
            field="leaf_hash",
        )
    latest = published_size()
    if not 0 < tree_size <= latest:
        raise DomainError(
            f"tree_size 须在 1 到 {latest}（最新已发布树头的大小）之间 / tree_size must be "
            f"between 1 and {latest} (the latest published tree size)",
            code="invalid",
            field="tree_size",
        )
    index = (
        LedgerLeaf.objects.filter(leaf_hash=leaf_hash, index__lt=tree_size)
        .order_by("index")
        .values_list("index", flat=True)
        .first()
    )
    if index is None:
        raise DomainError(
            f"前 {tree_size} 个叶子中没有这个叶子哈希 / No leaf with this hash among the "
            f"first {tree_size} leaves: check the hash, or ask again against a later tree head",
            code="not_found",
        )
    return index, path(index, tree_size)


def path(index: int, tree_size: int) -> list[bytes]:
    nodes = _nodes(merkle.inclusion_nodes(index, tree_size))
    return merkle.inclusion_proof(index, tree_size, lambda level, at: nodes[(level, at)])


def bid_bundle(*, bid_id: str, section_deadline: dt.datetime) -> dict[str, Any]:
    """The proof bundle (ggzy-ledger-proof/1) of a bid's receipt entry against the latest
    head. The caller has checked that the asker may see the bid (bidding.access)."""
    entry = (
        LedgerEntry.objects.filter(
            target_type="bidding.bid", target_id=bid_id, action__in=BID_ACTIONS
        )
        .select_related("leaf")
        .order_by("sequence")
        .first()
    )
    leaf = getattr(entry, "leaf", None) if entry is not None else None
    head = LedgerTreeHead.objects.order_by("-id").first()
    if entry is None or leaf is None or head is None or leaf.index >= head.tree_size:
        when = beijing(section_deadline)
        raise DomainError(
            f"该投标的日志条目在投标截止时间（{when}）之后的第一个树头才进入公开日志，请届时"
            f"再试 / The entry enters the public log with the first tree head after the bid "
            f"deadline ({when}); run this again after it",
            code="conflict",
        )
    return tree_head.proof_bundle(
        record=ledger.record_of(entry),
        leaf_index=leaf.index,
        inclusion=path(leaf.index, head.tree_size),
        head=head_json(head),
    )


def _nodes(wanted: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored nodes a proof reads, in one query."""
    if not wanted:
        return {}
    matches = [Q(level=level, index=index) for level, index in set(wanted)]
    rows = LedgerTreeNode.objects.filter(reduce(operator.or_, matches)).values_list(
        "level", "index", "hash"
    )
    return {(level, index): bytes.fromhex(hash_) for level, index, hash_ in rows}
