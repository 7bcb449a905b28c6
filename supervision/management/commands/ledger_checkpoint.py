from typing import Any

from django.core.management.base import BaseCommand

from supervision import ledger


class Command(BaseCommand):
    help = "Sign the ledger head with the platform key now (beat does this periodically)."

    def handle(self, *args: Any, **options: Any) -> None:
        point = ledger.checkpoint()
        if point is None:
            self.stdout.write("head already signed (or ledger empty)")
        else:
            self.stdout.write(f"signed checkpoint at #{point.sequence}")
