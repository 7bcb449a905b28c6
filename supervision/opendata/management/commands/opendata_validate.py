"""Validate downloaded OCDS files against the vendored official schema, offline.

    python manage.py opendata_validate page.json record.json

Each file is a release package, a record package or a single release (told apart by its
top-level keys, as ``ocdskit detect-format`` does). Exits 1 if any file is invalid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from supervision.opendata import validation

MAX_BYTES = 200 * 1024 * 1024  # a download larger than this is not one of ours


def kind_of(document: Any) -> str:
    if isinstance(document, dict) and "records" in document:
        return "record-package"
    if isinstance(document, dict) and "releases" in document:
        return "release-package"
    return "release"


class Command(BaseCommand):
    help = "Validate OCDS release packages, record packages or releases (offline)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        invalid = 0
        for path in options["files"]:
            if not path.is_file() or path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path}: not a readable file under {MAX_BYTES} bytes")
            try:
                document = json.loads(path.read_bytes())
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CommandError(f"{path}: not JSON ({exc})") from exc
            kind = kind_of(document)
            problems = validation.errors(document, kind)
            if kind == "record-package" and not problems:
                problems = _recompiled(document)
            if problems:
                invalid += 1
                self.stdout.write(f"{path}: invalid {kind}")
                for problem in problems[:50]:
                    self.stdout.write(f"  {problem}")
            else:
                self.stdout.write(f"{path}: valid {kind}")
        if invalid:
            raise SystemExit(1)


def _recompiled(package: dict[str, Any]) -> list[str]:
    """A record's compiledRelease must be what ocdsmerge makes of its releases."""
    problems = []
    for record in package["records"]:
        embedded = all(isinstance(r, dict) for r in record["releases"])
        compiled = record.get("compiledRelease")
        if (
            compiled is not None
            and embedded
            and validation.compile_release(record["releases"]) != compiled
        ):
            problems.append(f"{record['ocid']}: compiledRelease is not its releases merged")
    return problems
