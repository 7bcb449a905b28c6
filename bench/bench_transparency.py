"""The public transparency log at scale: Merkle tree building, tree heads, proof sizes and
verification times (ggzy_core.merkle, ggzy_core.tree_head), against the plain hash chain
verified over the same records in the same run.

    .venv/bin/python -m bench.bench_transparency --entries 1000000 [--json]

The records are written once as a regulator's export (JSON lines, ~400-byte realistic
entries, every tenth one embargoed) under ``$GGZY_VAR_DIR`` (default ``var/bench``).

Baseline: ``ggzy_core.ledger_chain.verify`` over that export, streamed from the file as
``python -m ggzy_core.ledger_chain`` does (parse, re-hash every record, follow
``previous_hash``) — what anyone who only has the chain must do to check one entry. The
ratios say how much cheaper the tree makes the bidder's check (one inclusion proof) and the
platform's per-minute head (a frontier append per new leaf instead of a rebuild).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from ggzy_core import ledger_chain as chain
from ggzy_core import merkle, tree_head
from ggzy_core.gm import sm2

SAMPLES = 1000
SIGNATURE_SAMPLES = 20
BATCH = 1000
STAMP = "2026-12-01T12:00:00.000000+00:00"


def _record(sequence: int, previous: str) -> dict[str, Any]:
    embargoed = sequence % 10 == 0
    record: dict[str, Any] = {
        "sequence": sequence,
        "recorded_at": f"2026-12-01T{sequence // 3600 % 24:02d}:{sequence // 60 % 60:02d}:"
        f"{sequence % 60:02d}.{sequence % 1000000:06d}+00:00",
        "actor": {
            "person_id": 1000 + sequence % 5000,
            "name": "张三丰",
            "organisation": "某某建设工程有限公司",
            "role": "bidder" if embargoed else "agency",
        },
        "network_address": f"10.{sequence % 256}.{sequence // 256 % 256}.7",
        "action": "bidding.bid.received" if embargoed else "trading.section.published",
        "target": {"type": "bidding.bid" if embargoed else "trading.section", "id": str(sequence)},
        "data": {"sm3": f"{sequence:064x}", "bytes": 1048576 + sequence},
        "embargo": f"trading.section:{sequence // 100}" if embargoed else None,
        "previous_hash": previous,
    }
    record["entry_hash"] = chain.entry_hash(record)
    return record


def write_export(path: Path, entries: int) -> float:
    """Write the chain as an export; return the mean canonical record size in bytes."""
    previous = chain.GENESIS_HASH
    total = 0
    with path.open("w", encoding="utf-8") as handle:
        for sequence in range(1, entries + 1):
            record = _record(sequence, previous)
            previous = record["entry_hash"]
            line = json.dumps({"entry": record}, ensure_ascii=False)
            total += len(line.encode())
            handle.write(line + "\n")
    return total / entries


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)["entry"]


def _first(records: Iterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [record for _, record in zip(range(count), records, strict=False)]


def _fill(tree: merkle.MemoryTree | merkle.Frontier, leaves: list[bytes]) -> None:
    for leaf in leaves:
        tree.append(leaf)


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _median_seconds(actions: list[Callable[[], Any]]) -> float:
    times = []
    for action in actions:
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(entries: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(15)
    results: dict[str, Any] = {"entries": entries}
    export = workdir / "transparency-bench.jsonl"
    results["record_bytes"] = write_export(export, entries)

    # Baseline: the plain chain, verified as the offline verifier does.
    results["chain_verify_s"], verdict = _timed(lambda: chain.verify(read_entries(export), [], {}))
    assert verdict.ok and verdict.entries == entries, verdict.reason

    # Leaves: parse + canonical public record + SM3, then the tree from the leaf hashes.
    results["leaf_hashes_s"], leaves = _timed(
        lambda: [tree_head.entry_leaf_hash(record) for record in read_entries(export)]
    )
    results["leaf_data_bytes"] = statistics.median(
        len(tree_head.leaf_data(record)) for record in _first(read_entries(export), SAMPLES)
    )
    tree = merkle.MemoryTree()
    results["tree_build_s"], _ = _timed(lambda: _fill(tree, leaves))
    frontier = merkle.Frontier()
    results["frontier_build_s"], _ = _timed(lambda: _fill(frontier, leaves))
    assert frontier.root() == tree.root()
    key = sm2.generate_private_key()
    results["head_from_scratch_s"] = (
        results["leaf_hashes_s"]
        + results["tree_build_s"]
        + _timed(lambda: _sign(entries, tree.root(), key))[0]
    )

    # The per-minute head: a frontier saved at N - BATCH, then the BATCH new entries (parsed,
    # leaf-hashed, appended), the root and the signature: the same steps as from scratch.
    batch = min(BATCH, entries)
    start = entries - batch
    saved = merkle.Frontier()
    for leaf in leaves[:start]:
        saved.append(leaf)
    state = saved.to_json()
    with export.open(encoding="utf-8") as handle:
        new_lines = list(collections.deque(handle, maxlen=batch))

    def incremental_head() -> dict[str, Any]:
        resumed = merkle.Frontier.from_json(state)
        for line in new_lines:
            resumed.append(tree_head.entry_leaf_hash(json.loads(line)["entry"]))
        return _sign(resumed.size, resumed.root(), key)

    results["batch"] = batch
    results["head_incremental_s"], head = _timed(incremental_head)
    assert head["root_hash"] == tree.root().hex()

    _measure_inclusion(results, rng, tree, leaves, export, head, key.public_key())
    _measure_consistency(results, rng, tree)
    message_head = _sign(entries, tree.root(), key)
    results["head_sign_s"] = _median_seconds(
        [lambda: _sign(entries, tree.root(), key)] * SIGNATURE_SAMPLES
    )
    results["head_verify_s"] = _median_seconds(
        [lambda: tree_head.verify_tree_head(message_head, key.public_key())] * SIGNATURE_SAMPLES
    )
    export.unlink()
    return results


def _sign(size: int, root: bytes, key: sm2.SM2PrivateKey) -> dict[str, Any]:
    return tree_head.sign_tree_head(tree_size=size, root_hash=root, timestamp=STAMP, key=key)


def _measure_inclusion(
    results: dict[str, Any],
    rng: random.Random,
    tree: merkle.MemoryTree,
    leaves: list[bytes],
    export: Path,
    head: dict[str, Any],
    platform: sm2.SM2PublicKey,
) -> None:
    size, root = tree.size, tree.root()
    picks = [rng.randrange(size) for _ in range(SAMPLES)]
    proofs = {index: tree.inclusion_proof(index, size) for index in picks}
    lengths = [len(proofs[index]) for index in picks]
    results["inclusion_hashes_max"] = max(lengths)
    results["inclusion_hashes_median"] = statistics.median(lengths)
    results["inclusion_verify_s"] = _median_seconds(
        [
            partial(
                merkle.verify_inclusion,
                leaf_hash=leaves[index],
                index=index,
                size=size,
                proof=proofs[index],
                root=root,
            )
            for index in picks
        ]
    )
    # The bidder's whole offline check: entry -> leaf, path, and the head's SM2 signature.
    wanted = set(picks[:SIGNATURE_SAMPLES])
    records = {n: r for n, r in enumerate(read_entries(export)) if n in wanted}
    bundles = [
        tree_head.proof_bundle(record=records[n], leaf_index=n, inclusion=proofs[n], head=head)
        for n in picks[:SIGNATURE_SAMPLES]
    ]
    results["bundle_bytes"] = statistics.median(
        len(json.dumps(bundle, ensure_ascii=False).encode()) for bundle in bundles
    )
    assert all(tree_head.verify_proof_bundle(bundle, platform) is None for bundle in bundles)
    results["bundle_verify_s"] = _median_seconds(
        [partial(tree_head.verify_proof_bundle, bundle, platform) for bundle in bundles]
    )


def _measure_consistency(
    results: dict[str, Any], rng: random.Random, tree: merkle.MemoryTree
) -> None:
    size = tree.size
    pairs = []
    for _ in range(SAMPLES):
        first, second = sorted((rng.randrange(1, size + 1), rng.randrange(1, size + 1)))
        pairs.append((first, second, tree.root(first), tree.root(second)))
    proofs = [tree.consistency_proof(first, second) for first, second, _, _ in pairs]
    lengths = [len(proof) for proof in proofs]
    results["consistency_hashes_max"] = max(lengths)
    results["consistency_hashes_median"] = statistics.median(lengths)
    results["consistency_verify_s"] = _median_seconds(
        [
            partial(
                merkle.verify_consistency,
                first=first,
                second=second,
                first_root=first_root,
                second_root=second_root,
                proof=proof,
            )
            for (first, second, first_root, second_root), proof in zip(pairs, proofs, strict=True)
        ]
    )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def format_table(r: dict[str, Any]) -> str:
    n = r["entries"]
    lines = [
        f"transparency log at {n:,} entries: export lines ~{r['record_bytes']:.0f} bytes, "
        f"leaf data ~{r['leaf_data_bytes']:.0f} bytes",
        "",
        f"baseline: plain chain verify (parse, re-hash, follow) {r['chain_verify_s']:9.2f} s"
        f"  ({_us(r['chain_verify_s'] / n)}/entry)",
        f"leaf hashes (parse + canonical + SM3)                {r['leaf_hashes_s']:9.2f} s",
        f"MemoryTree build from leaf hashes (all nodes)        {r['tree_build_s']:9.2f} s",
        f"Frontier build from leaf hashes (right edge only)    {r['frontier_build_s']:9.2f} s"
        f"  ({_us(r['frontier_build_s'] / n)}/leaf)",
        f"tree head from scratch (leaves + tree + sign)        {r['head_from_scratch_s']:9.2f} s",
        f"{'head after ' + format(r['batch'], ',') + ' new entries (same steps)':53}"
        f"{r['head_incremental_s'] * 1000:9.2f} ms",
        f"sign / verify a tree head (median)                   "
        f"{r['head_sign_s'] * 1000:.2f} ms / {r['head_verify_s'] * 1000:.2f} ms",
        "",
        f"inclusion proof: median {r['inclusion_hashes_median']:.0f} hashes, max "
        f"{r['inclusion_hashes_max']} ({r['inclusion_hashes_max'] * merkle.HASH_SIZE} bytes); "
        f"bundle JSON {r['bundle_bytes']:.0f} bytes",
        f"inclusion verify (median of {SAMPLES})                {_us(r['inclusion_verify_s'])}",
        f"proof bundle verify incl. head signature (median)   {_us(r['bundle_verify_s'])}",
        f"consistency proof: median {r['consistency_hashes_median']:.0f} hashes, max "
        f"{r['consistency_hashes_max']} ({r['consistency_hashes_max'] * merkle.HASH_SIZE} bytes)",
        f"consistency verify (median of {SAMPLES})              {_us(r['consistency_verify_s'])}",
        "",
        "ratio chain verify / inclusion verify:          "
        f"{r['chain_verify_s'] / r['inclusion_verify_s']:14,.0f}x",
        "ratio chain verify / proof bundle verify:       "
        f"{r['chain_verify_s'] / r['bundle_verify_s']:14,.0f}x",
        "ratio chain verify / consistency verify:        "
        f"{r['chain_verify_s'] / r['consistency_verify_s']:14,.0f}x",
        "ratio head from scratch / incremental head:     "
        f"{r['head_from_scratch_s'] / r['head_incremental_s']:14,.0f}x",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    base = Path(os.environ.get("GGZY_VAR_DIR", "var/bench"))
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base) as workdir:
        results = run(args.entries, Path(workdir))
    print(json.dumps(results, indent=2) if args.json else format_table(results))


if __name__ == "__main__":
    main()
