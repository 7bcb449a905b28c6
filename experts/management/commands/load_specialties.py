from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from experts import library

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "specialties.csv"


class Command(BaseCommand):
    help = (
        "Load the specialty code list from a CSV file of code,name rows (default: the sample "
        "list shipped in experts/data/specialties.csv). Codes are added or renamed, never "
        "removed; a code's parent is the longest other code that begins it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, default=SAMPLE)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        with path.open(encoding="utf-8-sig", newline="") as source:
            rows = [(row["code"].strip(), row["name"]) for row in csv.DictReader(source)]
        try:
            total = library.specialties_load(rows)
        except library.RowError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(rows)} code(s) loaded; the list has {total}")
