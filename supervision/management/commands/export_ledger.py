import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ggzy import signing
from supervision import ledger


class Command(BaseCommand):
    help = (
        "Export the ledger as JSON lines (checkpoints first, then entries) with the platform "
        "public key, for offline verification: python -m ggzy_core.ledger_chain FILE --public-key PEM"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        count = 0
        with out.open("w", encoding="utf-8") as handle:
            for point in ledger.checkpoint_records():
                handle.write(json.dumps({"checkpoint": point}, ensure_ascii=False) + "\n")
            for record in ledger.entry_records():
                handle.write(json.dumps({"entry": record}, ensure_ascii=False) + "\n")
                count += 1
        key_path = out.with_suffix(".platform-key.pem")
        key_path.write_bytes(signing.platform_public_key().to_pem())
        self.stdout.write(f"exported {count} entries to {out}; platform key in {key_path}")
