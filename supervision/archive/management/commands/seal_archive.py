"""``manage.py seal_archive CODE``: seal a closed section's archive now, as the platform's
operator (the centre's staff have the "seal now" button). The package is built here, in
this process; the task queued beside it then finds it sealed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ggzy.errors import DomainError
from supervision.archive import services
from trading.models import Section


class Command(BaseCommand):
    help = "Seal a closed (contracted, failed, cancelled) section's archive now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the section code")

    def handle(self, *args: Any, **options: Any) -> None:
        section = Section.objects.filter(code=options["code"]).first()
        if section is None:
            raise CommandError(f"没有标段 {options['code']} / No section {options['code']}")
        try:
            services.archive_seal(section=section, actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        outcome = services.archive_store(section_id=section.pk)
        archive = services.Archive.objects.get(section=section)
        self.stdout.write(f"{outcome}: {archive.name} sm3 {archive.sm3} ({archive.size} bytes)\n")
