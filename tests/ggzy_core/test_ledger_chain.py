"""The offline verifier rebuilds the public Merkle tree from an export and checks every
signed tree head against it, in the same pass as the hash chain (no Django, no database)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ggzy_core import ledger_chain as chain
from ggzy_core import merkle, tree_head
from ggzy_core.gm import sm2

KEY = sm2.generate_private_key()
KEYS = {KEY.public_key().fingerprint(): KEY.public_key()}


def make_entries(count: int, *, embargoed: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    entries = []
    previous = chain.GENESIS_HASH
    for sequence in range(1, count + 1):
        record: dict[str, Any] = {
            "sequence": sequence,
            "recorded_at": f"2026-12-01T10:00:{sequence:02d}.000000+00:00",
            "actor": {"person_id": None, "name": "", "organisation": "", "role": "system"},
            "network_address": None,
            "action": "tests.thing.happened",
            "target": {"type": "tests.thing", "id": str(sequence)},
            "data": {"n": sequence},
            "embargo": "trading.section:7" if sequence in embargoed else None,
            "previous_hash": previous,
        }
        record["entry_hash"] = previous = chain.entry_hash(record)
        entries.append(record)
    return entries


def rechain(entries: list[dict[str, Any]]) -> None:
    """What a platform rewriting history would do: recompute every hash after a change."""
    previous = chain.GENESIS_HASH
    for record in entries:
        record["previous_hash"] = previous
        record["entry_hash"] = previous = chain.entry_hash(record)


def publish(entries: list[dict[str, Any]], order: list[int], sizes: list[int]) -> list[dict]:
    """Give entries (by list position, in ``order``) leaf indices; sign a head at each size."""
    tree = merkle.MemoryTree()
    for leaf, position in enumerate(order):
        entries[position]["leaf_index"] = leaf
        tree.append(tree_head.entry_leaf_hash(entries[position]))
    return [
        tree_head.sign_tree_head(
            tree_size=size,
            root_hash=tree.root(size),
            timestamp=f"2026-12-01T10:{n:02d}:00.000000+00:00",
            key=KEY,
        )
        for n, size in enumerate(sizes)
    ]


def verdict_text(verdict: chain.Verdict) -> str:
    out = io.StringIO()
    chain.report(verdict, out)
    return out.getvalue()


def test_heads_of_a_tree_built_in_sequence_order_verify() -> None:
    entries = make_entries(9)
    heads = publish(entries, list(range(9)), [0, 3, 3, 8, 9])
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.ok, verdict.reason
    assert verdict.tree_heads == 5 and verdict.tree_size == 9
    assert "5 tree heads verified (tree of 9 leaves)" in verdict_text(verdict)


def test_embargoed_entries_that_join_the_tree_late_verify() -> None:
    entries = make_entries(8, embargoed=frozenset({2, 3}))
    # Entries 2 and 3 (positions 1, 2) enter the tree after entry 6, in one batch.
    order = [0, 3, 4, 5, 1, 2, 6]
    heads = publish(entries, order, [1, 4, 6, 7])
    assert "leaf_index" not in entries[7]  # entry 8: not in the tree yet
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.ok, verdict.reason
    assert verdict.tree_size == 7


def test_an_export_without_tree_heads_reports_as_before() -> None:
    verdict = chain.verify(make_entries(3), [], KEYS)
    assert verdict.ok
    assert verdict_text(verdict) == (
        "OK 审计链完整 / ledger intact: 3 entries, 0 signed checkpoints verified\n"
    )


def test_a_rewritten_and_rechained_entry_breaks_the_tree_head() -> None:
    entries = make_entries(6)
    heads = publish(entries, list(range(6)), [2, 6])
    entries[3]["data"] = {"n": "rewritten"}
    rechain(entries)  # the chain alone is self-consistent again
    assert chain.verify(entries, [], KEYS).ok
    verdict = chain.verify(entries, [], KEYS, heads)
    assert not verdict.ok and verdict.broken_head == 6
    assert verdict_text(verdict) == (
        "BROKEN 公开日志不符 / tree head of size 6 does not match the entries "
        "(an entry was rewritten, or the head forked)\n"
    )


def test_two_signed_heads_of_one_size_with_different_roots_are_a_fork() -> None:
    entries = make_entries(4)
    heads = publish(entries, list(range(4)), [4])
    other = make_entries(5)
    other[0]["data"] = {"n": "another history"}
    forked = publish(other, list(range(5)), [4])
    verdict = chain.verify(entries, [], KEYS, heads + forked)
    assert verdict.broken_head == 4 and "forked" in verdict.reason


def test_a_head_with_a_bad_signature_breaks_the_export() -> None:
    entries = make_entries(3)
    heads = publish(entries, [0, 1, 2], [3])
    heads[0]["timestamp"] = "2030-01-01T00:00:00.000000+00:00"
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.broken_head == 3 and "signature is invalid" in verdict.reason


def test_a_head_by_an_unknown_key_is_a_warning_but_its_root_still_counts() -> None:
    entries = make_entries(3)
    heads = publish(entries, [0, 1, 2], [3])
    verdict = chain.verify(entries, [], {}, heads)
    assert verdict.ok and "unknown key" in verdict.warnings[0]


def test_a_smaller_head_after_a_larger_one_is_a_rollback() -> None:
    entries = make_entries(5)
    heads = publish(entries, list(range(5)), [5, 4])
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.broken_head == 4 and "rolled back" in verdict.reason


def test_a_removed_leaf_and_a_head_beyond_the_entries_are_reported() -> None:
    entries = make_entries(5)
    heads = publish(entries, list(range(5)), [5])
    entries[2]["leaf_index"] = None
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.broken_head == 5 and "needs leaf #2" in verdict.reason
    entries = make_entries(5)
    heads = publish(entries, list(range(4)), [4])
    heads.append(
        tree_head.sign_tree_head(tree_size=5, root_hash=merkle.EMPTY_ROOT, timestamp="t", key=KEY)
    )
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.broken_head == 5 and "beyond the 4 exported" in verdict.reason


def test_a_leaf_index_claimed_twice_breaks_the_chain_at_that_entry() -> None:
    entries = make_entries(4)
    heads = publish(entries, list(range(4)), [4])
    entries[3]["leaf_index"] = 1
    verdict = chain.verify(entries, [], KEYS, heads)
    assert verdict.broken_sequence == 4 and "claimed by two entries" in verdict.reason


def test_the_command_line_reads_heads_from_an_export(tmp_path: Path) -> None:
    entries = make_entries(6, embargoed=frozenset({1}))
    heads = publish(entries, [1, 2, 0, 3, 4, 5], [2, 6])
    export = tmp_path / "ledger.jsonl"
    lines = [{"tree_head": head} for head in heads] + [{"entry": e} for e in entries]
    export.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    key = tmp_path / "platform.pem"
    key.write_bytes(KEY.public_key().to_pem())
    checkpoints, entries_read = chain.read_export(export)
    assert checkpoints == [] and len(list(entries_read)) == 6
    assert chain.main([str(export), "--public-key", str(key)]) == 0
    assert chain.main([str(export), "--public-key", str(key), "--distinct-heads"]) == 0
    heads_read = list(chain.read_full_export(export)[1])
    assert [head["tree_size"] for head in heads_read] == [2, 6]


def test_distinct_heads_mode_checks_one_signature_per_size_and_root() -> None:
    entries = make_entries(3)
    heads = publish(entries, [0, 1, 2], [3, 3, 3])
    heads[2]["timestamp"] = "2030-01-01T00:00:00.000000+00:00"  # a repeat, re-dated
    assert not chain.verify(entries, [], KEYS, heads).ok
    fast = chain.verify(entries, [], KEYS, heads, every_head_signature=False)
    assert fast.ok and fast.tree_heads == 3
    heads[0]["timestamp"] = heads[2]["timestamp"]  # the first of its (size, root) is checked
    slow = chain.verify(entries, [], KEYS, heads, every_head_signature=False)
    assert slow.broken_head == 3 and "signature is invalid" in slow.reason
