from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deposits import statement
from deposits.bank import BankUnavailable
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import the bank's statement — a CSV file in the bank's format "
        "(docs/bank-interface.md), or with --feed the bank's JSON feed. Each refused row is "
        "reported with its line number and the good rows are kept; lines already recorded "
        "are skipped, so importing again is harmless. Exits 1 if any row was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="the statement CSV file")
        parser.add_argument("--feed", action="store_true", help="pull the bank's JSON feed")
        parser.add_argument(
            "--since",
            type=dt.datetime.fromisoformat,
            help="with --feed: lines booked at or after this ISO 8601 time with an offset",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        since: dt.datetime | None = options["since"]
        if bool(path) == bool(options["feed"]):
            raise CommandError("give a CSV file, or --feed (not both)")
        if since is not None and since.tzinfo is None:
            raise CommandError("--since needs an offset, e.g. 2026-05-01T00:00:00+08:00")
        try:
            if path is not None:
                if not path.is_file():
                    raise CommandError(f"no such file: {path}")
                imported = statement.import_csv(path)
            else:
                imported = statement.pull(since=since)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except BankUnavailable as exc:
            raise CommandError(f"the bank did not answer: {exc}") from exc
        for number, why in imported.errors:
            self.stderr.write(f"line {number}: {why}")
        self.stdout.write(
            f"{imported.read} line(s) read: {imported.new} new, {imported.known} already "
            f"recorded, {len(imported.errors)} refused"
        )
        if imported.errors:
            raise CommandError(
                f"{len(imported.errors)} line(s) refused; the others were imported. Correct "
                "those lines and import the file again.",
                returncode=1,
            )
