"""``manage.py verify_archive FILE [--public-key PEM]``: check an archive offline.

Touches no model and no database (it runs where the archive was handed over, with no
platform behind it): it only calls ``ggzy_core.archive``, exactly as ``python -m
ggzy_core.archive`` does. Exit 0 (intact), 1 (refused, with the first failure) or 2 (the
file or key cannot be read).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ggzy_core import archive


class Command(BaseCommand):
    help = "Verify a section archive offline: signatures, digests, completeness, ledger slice."
    requires_system_checks: list[str] = []  # no check may open the database
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the archive zip")
        parser.add_argument("--public-key", help="the platform's public key PEM (pin it)")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [options["file"]]
        if options["public_key"]:
            argv += ["--public-key", options["public_key"]]
        code = archive.main(argv, out=self.stdout)
        if code:
            sys.exit(code)
