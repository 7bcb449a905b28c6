from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from experts import draw as draws
from experts.models import Draw, DrawStatus
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Re-derive a draw's seats from its secret, anchor and recorded pool (docs/experts.md, "
        "'Replaying a draw') and compare them with the seats stored. Exits 1 if they differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw", type=int, help="the draw's ID")

    def handle(self, *args: Any, **options: Any) -> None:
        draw = Draw.objects.filter(pk=options["draw"]).first()
        if draw is None or draw.status != DrawStatus.DRAWN:
            raise CommandError(f"no drawn draw {options['draw']}")
        try:
            again = draws.replay(draw)
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        for index, seat in enumerate(again, start=1):
            self.stdout.write(f"{index:3d}  {seat.role:<6}  {seat.code:<10}  {seat.number}")
        if again != draws.stored(draw):
            raise CommandError("the stored seats differ from the replay", returncode=1)
        self.stdout.write(f"the {len(again)} stored seats are the replay's")
