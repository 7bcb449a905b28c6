from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from experts import library
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import experts into the library from a .csv or .xlsx file (docs/experts.md): each "
        "expert is created or updated by its number; each refused row is reported with its "
        "line and the others are kept. Exits 1 if any row was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .xlsx file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            imported = library.import_file(path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for line, why in imported.errors:
            self.stderr.write(f"line {line}: {why}")
        self.stdout.write(
            f"{imported.created} expert(s) added, {imported.updated} updated, "
            f"{len(imported.errors)} row(s) refused"
        )
        if imported.errors:
            raise CommandError(
                f"{len(imported.errors)} row(s) refused; the others were imported. Correct "
                "those rows and import the file again.",
                returncode=1,
            )
