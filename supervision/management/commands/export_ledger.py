import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from ggzy import signing
from supervision import ledger
from supervision.models import LedgerLeaf, LedgerTreeHead
from supervision.transparency import proofs


class Command(BaseCommand):
    help = (
        "Export the ledger as JSON lines (checkpoints, signed tree heads, then entries with "
        "their leaf index) with the platform public key, for offline verification: "
        "python -m ggzy_core.ledger_chain FILE --public-key PEM"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        count = 0
        with transaction.atomic(), out.open("w", encoding="utf-8") as handle:
            _one_snapshot()
            for point in ledger.checkpoint_records():
                handle.write(json.dumps({"checkpoint": point}, ensure_ascii=False) + "\n")
            for head in LedgerTreeHead.objects.order_by("timestamp", "id").iterator():
                line = {"tree_head": proofs.head_json(head)}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            leaves = _LeafIndices()
            for record in ledger.entry_records():
                record["leaf_index"] = leaves.index_of(record["sequence"])
                handle.write(json.dumps({"entry": record}, ensure_ascii=False) + "\n")
                count += 1
        ledger.make_durable()  # after the commit: nothing exported can still be taken back
        key_path = out.with_suffix(".platform-key.pem")
        key_path.write_bytes(signing.platform_public_key().to_pem())
        self.stdout.write(f"exported {count} entries to {out}; platform key in {key_path}")


def _one_snapshot() -> None:
    """Heads, leaves and entries from one snapshot: a tick between the queries would give
    leaves whose entries the export lacks (holes in the leaf indices). The first statement of
    a fresh transaction only; inside a caller's transaction (tests) it has its snapshot."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and len(connection.savepoint_ids) == 0:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


class _LeafIndices:
    """Each entry's leaf index, by a merge of two streams in sequence order (no 1M-row dict)."""

    def __init__(self) -> None:
        rows = LedgerLeaf.objects.order_by("entry_id").values_list("entry_id", "index")
        self._rows: Iterator[tuple[int, int]] = rows.iterator(chunk_size=5000)
        self._next: tuple[int, int] | None = next(self._rows, None)

    def index_of(self, sequence: int) -> int | None:
        while self._next is not None and self._next[0] < sequence:
            self._next = next(self._rows, None)
        if self._next is not None and self._next[0] == sequence:
            return self._next[1]
        return None
