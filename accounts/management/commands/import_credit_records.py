from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import credit_import
from accounts.models import Person
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import credit records from a .csv or .xlsx file (docs/credit.md): all rows or none. "
        "Every refused row is reported with its row and column; exits 1 if any was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .xlsx file")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the regulator who enters the records (their username)",
        )
        parser.add_argument(
            "--skip-unknown",
            action="store_true",
            help="skip rows whose organisation or person is not registered here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = Person.objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(f"no such person: {options['username']}")
        try:
            with path.open("rb") as raw:
                result = credit_import.import_file(
                    raw, name=path.name, actor=actor, skip_unknown=options["skip_unknown"]
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for number, column, why in result.errors:
            self.stderr.write(f"row {number}, column {column}: {why}")
        if result.errors:
            raise CommandError(
                f"{len(result.errors)} row(s) refused; nothing was imported. Correct those rows "
                "and import the file again.",
                returncode=1,
            )
        self.stdout.write(
            f"{result.entered} record(s) entered, {result.already} already on record, "
            f"{result.unknown} skipped (not registered here)"
        )
