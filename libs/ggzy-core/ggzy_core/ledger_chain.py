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
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    @property
    def ok(self) -> bool:
        return self.broken_sequence is None and not self.reason


def verify(
    entries: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    public_keys: Mapping[str, sm2.SM2PublicKey],
) -> Verdict:
    """Walk the chain in order; stop at the first entry that does not fit.

    Checkpoints are few (one per interval) and are read first, so the walk over entries is
    a single streaming pass. ``public_keys`` maps fingerprints to trusted platform keys.
    """
    verdict = Verdict()
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
        verdict.entries += 1
        expected += 1
    if pending:
        missing = min(pending)
        return _broken(verdict, missing, "a signed checkpoint names an entry that is missing")
    return verdict


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
    """An export is JSON lines: first ``{"checkpoint": …}`` lines, then ``{"entry": …}``."""
    checkpoints: list[dict[str, Any]] = []
    handle = path.open(encoding="utf-8")
    first_entry: dict[str, Any] | None = None
    for line in handle:
        item = json.loads(line)
        if "checkpoint" not in item:
            first_entry = item["entry"]
            break
        checkpoints.append(item["checkpoint"])

    def entries() -> Iterator[dict[str, Any]]:
        with handle:
            if first_entry is not None:
                yield first_entry
            for line in handle:
                yield json.loads(line)["entry"]

    return checkpoints, entries()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify an exported ggzy ledger offline.")
    parser.add_argument("export", type=Path, help="JSON-lines file from manage.py export_ledger")
    parser.add_argument(
        "--public-key", type=Path, action="append", default=[], help="trusted platform key PEM"
    )
    args = parser.parse_args(argv)
    keys = {}
    for key_path in args.public_key:
        key = sm2.load_public_key(key_path.read_bytes())
        keys[key.fingerprint()] = key
    checkpoints, entries = read_export(args.export)
    return report(verify(entries, checkpoints, keys), sys.stdout)


def report(verdict: Verdict, out: Any) -> int:
    for warning in verdict.warnings:
        out.write(f"warning: {warning}\n")
    if verdict.ok:
        out.write(
            f"OK 审计链完整 / ledger intact: {verdict.entries} entries, "
            f"{verdict.checkpoints} signed checkpoints verified\n"
        )
        return 0
    out.write(
        f"BROKEN 审计链被篡改 / ledger broken at entry #{verdict.broken_sequence}: "
        f"{verdict.reason}\n"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
