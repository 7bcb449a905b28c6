"""The ledger's hash chain as plain data: canonical encoding, hashing, verification.

No Django import, so a regulator can verify an exported ledger offline with only this
module and ``ggzy_core.gm``::

    python -m ggzy_core.ledger_chain ledger.jsonl --public-key platform.pem

An entry record is a dict: sequence, recorded_at (ISO 8601, UTC, microseconds), actor
{person_id, name, organisation, role}, network_address, action, target {type, id}, data,
embargo (a scope such as "trading.section:12", or null), previous_hash, entry_hash.
``entry_hash`` = SM3 of the canonical JSON of every other field. (Until when a scope is
sealed is not part of the chain: it moves with the deadline, which the chain records in the
scope owner's own entries, e.g. ``trading.clarification.issued``.)
A checkpoint record: sequence, entry_hash, signed_at, key_fingerprint, signature (hex DER
SM2 over ``CHECKPOINT_DOMAIN`` + canonical JSON of sequence, entry_hash, signed_at).

The public transparency log (``ggzy_core.merkle``, ``ggzy_core.tree_head``) is checked in the
same pass: an exported entry may carry ``leaf_index`` (its place in the public Merkle tree,
null while it is not in the tree yet; not part of ``entry_hash``), and the export's signed
tree heads must each be the root of the tree rebuilt from the entries in leaf order.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ggzy_core import merkle, tree_head
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex

GENESIS_HASH = "0" * 64
CHECKPOINT_DOMAIN = b"ggzy-ledger-checkpoint\n"
ENTRY_FIELDS = (
    "sequence",
    "recorded_at",
    "actor",
    "network_address",
    "action",
    "target",
    "data",
    "embargo",
    "previous_hash",
)


def entry_hash(record: Mapping[str, Any]) -> str:
    return sm3_hex(canonical({name: record[name] for name in ENTRY_FIELDS}))


def checkpoint_message(*, sequence: int, entry_hash: str, signed_at: str) -> bytes:
    body = {"sequence": sequence, "entry_hash": entry_hash, "signed_at": signed_at}
    return CHECKPOINT_DOMAIN + canonical(body)


@dataclass
class Verdict:
    entries: int = 0
    checkpoints: int = 0
    broken_sequence: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    tree_heads: int = 0
    tree_size: int = 0
    broken_head: int | None = None  # the tree size of a head that does not hold

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None and self.broken_head is None and not self.reason


def verify(
    entries: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, sm2.SM2PublicKey],
    tree_heads: Iterable[Mapping[str, Any]] = (),
    *,
    every_head_signature: bool = True,
) -> Verdict:
    """Walk the chain in order; stop at the first entry that does not fit.

    Checkpoints are few (one per interval) and are read first, so the walk over entries is
    a single streaming pass. ``public_keys`` maps fingerprints to trusted platform keys.
    Tree heads (oldest first) are checked first for signature and order, then each against
    the tree that the same pass rebuilds from the entries' ``leaf_index``. With
    ``every_head_signature`` off, a head repeating an already verified (size, root) has only
    its shape checked: a year of one-per-minute heads is mostly repeats, and each SM2
    verification costs milliseconds; only the repeats' timestamps go unchecked.
    """
    verdict = Verdict()
    roots = _signed_roots(verdict, tree_heads, public_keys, every_head_signature)
    if roots is None:
        return verdict
    tree = _TreeRebuild(roots)
    pending = {point["sequence"]: point for point in checkpoints}
    previous = GENESIS_HASH
    expected = 1
    for record in entries:
        sequence = record["sequence"]
        if sequence != expected:
            return _broken(verdict, expected, f"entry #{expected} is missing (next is #{sequence})")
        if record["previous_hash"] != previous:
            return _broken(verdict, sequence, "previous_hash does not match the entry before it")
        if entry_hash(record) != record["entry_hash"]:
            return _broken(verdict, sequence, "content does not match its hash (altered)")
        previous = record["entry_hash"]
        point = pending.pop(sequence, None)
        if point is not None and not _checkpoint_holds(verdict, point, previous, public_keys):
            return verdict
        if not tree.add(verdict, record):
            return verdict
        verdict.entries += 1
        expected += 1
    if pending:
        missing = min(pending)
        return _broken(verdict, missing, "a signed checkpoint names an entry that is missing")
    tree.finish(verdict)
    return verdict


_HEAD_MISMATCH = "does not match the entries (an entry was rewritten, or the head forked)"


def _signed_roots(
    verdict: Verdict,
    heads: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, sm2.SM2PublicKey],
    every_signature: bool,
) -> dict[int, bytes] | None:
    """Tree size -> signed root, after checking each head's signature and the heads' order.

    Two heads of one size with different roots are a fork whatever the entries say.
    """
    roots: dict[int, bytes] = {}
    largest = 0
    for head in heads:
        size = head.get("tree_size")
        if not isinstance(size, int) or isinstance(size, bool):
            _broken_head(verdict, -1, "is not a tree head (no integer tree_size)")
            return None
        key = public_keys.get(head.get("key_fingerprint", ""))
        if not every_signature and _repeats(head, roots):
            problem = tree_head.head_shape_problem(head)
        elif key is None:
            verdict.warnings.append(
                f"tree head of size {size} is signed by unknown key {head.get('key_fingerprint')}"
            )
            problem = tree_head.head_shape_problem(head)
        else:
            problem = tree_head.head_problem(head, key)
        if problem is not None:
            _broken_head(verdict, size, f"is not valid: {problem}")
            return None
        if size < largest:
            _broken_head(verdict, size, f"comes after a head of size {largest} (rolled back)")
            return None
        largest = size
        root = bytes.fromhex(head["root_hash"])
        if roots.setdefault(size, root) != root:
            _broken_head(verdict, size, "has two different signed roots (forked)")
            return None
        verdict.tree_heads += 1
    if roots.get(0, merkle.EMPTY_ROOT) != merkle.EMPTY_ROOT:
        _broken_head(verdict, 0, _HEAD_MISMATCH)
        return None
    return roots


def _repeats(head: Mapping[str, Any], roots: dict[int, bytes]) -> bool:
    root = roots.get(head["tree_size"])
    return root is not None and root.hex() == head.get("root_hash")


def _broken_head(verdict: Verdict, size: int, reason: str) -> None:
    """Mark the verdict broken at a tree head."""
    verdict.broken_head = size
    verdict.reason = reason


class _TreeRebuild:
    """The public tree rebuilt from entries in leaf order, with O(log n) state.

    Entries come in sequence order; an embargoed entry joins the tree later than the entries
    after it, so its leaf waits in ``_early`` until the leaves before it have come.
    """

    def __init__(self, roots: dict[int, bytes]) -> None:
        self._roots = roots
        self._frontier = merkle.Frontier()
        self._early: dict[int, bytes] = {}

    def add(self, verdict: Verdict, record: Mapping[str, Any]) -> bool:
        index = record.get("leaf_index")
        if index is None:
            return True
        sequence = record["sequence"]
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            _broken(verdict, sequence, "leaf_index is not a leaf index")
            return False
        if index < self._frontier.size or index in self._early:
            _broken(verdict, sequence, f"leaf #{index} is claimed by two entries")
            return False
        self._early[index] = tree_head.entry_leaf_hash(record)
        while self._frontier.size in self._early:
            self._frontier.append(self._early.pop(self._frontier.size))
            signed = self._roots.get(self._frontier.size)
            if signed is not None and signed != self._frontier.root():
                _broken_head(verdict, self._frontier.size, _HEAD_MISMATCH)
                return False
        return True

    def finish(self, verdict: Verdict) -> None:
        size = self._frontier.size
        verdict.tree_size = size
        if self._early:
            claimed = max(self._early) + 1
            head = min((n for n in self._roots if n > size), default=claimed)
            _broken_head(verdict, head, f"needs leaf #{size}, which no entry has (removed)")
        elif self._roots and max(self._roots) > size:
            _broken_head(verdict, max(self._roots), f"names leaves beyond the {size} exported")


def _checkpoint_holds(
    verdict: Verdict,
    point: Mapping[str, Any],
    chained_hash: str,
    public_keys: Mapping[str, sm2.SM2PublicKey],
) -> bool:
    sequence = point["sequence"]
    if point["entry_hash"] != chained_hash:
        _broken(verdict, sequence, "entry hash differs from the signed checkpoint")
        return False
    key = public_keys.get(point["key_fingerprint"])
    if key is None:
        verdict.warnings.append(
            f"checkpoint #{sequence} is signed by unknown key {point['key_fingerprint']}"
        )
        return True
    message = checkpoint_message(
        sequence=sequence, entry_hash=point["entry_hash"], signed_at=point["signed_at"]
    )
    if not key.verify(message, bytes.fromhex(point["signature"])):
        _broken(verdict, sequence, "checkpoint signature is invalid")
        return False
    verdict.checkpoints += 1
    return True


def _broken(verdict: Verdict, sequence: int, reason: str) -> Verdict:
    verdict.broken_sequence = sequence
    verdict.reason = reason
    return verdict


def read_export(path: Path) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """The checkpoints and entries of an export (its tree heads skipped)."""
    checkpoints, _, entries = read_full_export(path)
    return checkpoints, entries


def read_full_export(
    path: Path,
) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]], Iterator[dict[str, Any]]]:
    """An export is JSON lines: ``{"checkpoint": …}`` lines, ``{"tree_head": …}`` lines
    (oldest first), then ``{"entry": …}`` lines in sequence order.

    Checkpoints are few and read at once; heads (one a minute: half a million a year) and
    entries are streamed from the one file handle, heads first.
    """
    checkpoints: list[dict[str, Any]] = []
    handle = path.open(encoding="utf-8")
    pending: list[dict[str, Any]] = []  # the first line after the checkpoints, parsed
    for line in handle:
        item = json.loads(line)
        if "checkpoint" not in item:
            pending.append(item)
            break
        checkpoints.append(item["checkpoint"])

    def heads() -> Iterator[dict[str, Any]]:
        while pending and "tree_head" in pending[0]:
            yield pending.pop()["tree_head"]
            line = handle.readline()
            if line:
                pending.append(json.loads(line))

    def entries() -> Iterator[dict[str, Any]]:
        with handle:
            for _ in heads():  # heads nobody read are skipped
                pass
            if pending:
                yield pending.pop()["entry"]
            for line in handle:
                yield json.loads(line)["entry"]

    return checkpoints, heads(), entries()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an exported ggzy ledger offline.")
    parser.add_argument("export", type=Path, help="JSON-lines file from manage.py export_ledger")
    parser.add_argument(
        "--public-key", type=Path, action="append", default=[], help="trusted platform key PEM"
    )
    parser.add_argument(
        "--distinct-heads",
        action="store_true",
        help="verify the SM2 signature of the first head of each (size, root) only "
        "(fast on a year of minute heads; the repeats' timestamps go unchecked)",
    )
    args = parser.parse_args(argv)
    keys = {}
    for key_path in args.public_key:
        key = sm2.load_public_key(key_path.read_bytes())
        keys[key.fingerprint()] = key
    checkpoints, heads, entries = read_full_export(args.export)
    verdict = verify(
        entries, checkpoints, keys, heads, every_head_signature=not args.distinct_heads
    )
    return report(verdict, sys.stdout)


def report(verdict: Verdict, out: Any) -> int:
    for warning in verdict.warnings:
        out.write(f"warning: {warning}\n")
    if verdict.ok:
        heads = ""
        if verdict.tree_heads:
            heads = (
                f", {verdict.tree_heads} tree heads verified (tree of {verdict.tree_size} leaves)"
            )
        out.write(
            f"OK 审计链完整 / ledger intact: {verdict.entries} entries, "
            f"{verdict.checkpoints} signed checkpoints verified{heads}\n"
        )
        return 0
    if verdict.broken_head is not None:
        out.write(
            f"BROKEN 公开日志不符 / tree head of size {verdict.broken_head} {verdict.reason}\n"
        )
        return 1
    out.write(
        f"BROKEN 审计链被篡改 / ledger broken at entry #{verdict.broken_sequence}: "
        f"{verdict.reason}\n"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
