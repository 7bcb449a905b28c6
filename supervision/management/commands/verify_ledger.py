from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy import signing
from ggzy_core import ledger_chain as chain
from ggzy_core.gm import sm2
from supervision import ledger


class Command(BaseCommand):
    help = "Walk the audit ledger's hash chain and signed checkpoints; exit 1 at the first break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key",
            type=Path,
            action="append",
            default=[],
            help="an older platform public key PEM that checkpoints may be signed with",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        current = signing.platform_public_key()
        keys = {current.fingerprint(): current}
        for path in options["public_key"]:
            key = sm2.load_public_key(path.read_bytes())
            keys[key.fingerprint()] = key
        verdict = chain.verify(ledger.entry_records(), ledger.checkpoint_records(), keys)
        if chain.report(verdict, self.stdout) != 0:
            raise CommandError("ledger verification failed", returncode=1)
