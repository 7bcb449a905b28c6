from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deposits import reconciliation
from ggzy import clock


class Command(BaseCommand):
    help = (
        "Prove the books balance, agree with the bank's statement line by line and in total, "
        "and owe nobody a negative sum; print the report, raise an alert and exit 1 on a "
        "difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--margin",
            type=int,
            default=int(reconciliation.SETTLE_MARGIN.total_seconds()),
            help="seconds: statement lines this recent that the books lack are in flight, "
            "not differences (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["margin"] < 0:
            raise CommandError("--margin is zero or more seconds")
        as_of = clock.now() - dt.timedelta(seconds=options["margin"])
        report = reconciliation.check_and_alert(as_of=as_of)
        self.stdout.write(reconciliation.render(report), ending="")
        if not report.ok:
            raise CommandError(
                f"the books differ from the bank in {len(report.differences)} place(s)",
                returncode=1,
            )
