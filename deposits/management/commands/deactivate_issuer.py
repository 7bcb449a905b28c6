from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Person
from deposits.issuers import issuer_deactivate
from deposits.models import Issuer
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Deactivate a guarantee issuer: it may submit or revoke no more; its guarantees stay. "
        "Ledgered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("credit_code", help="the issuer's unified social credit code")
        parser.add_argument("--reason", required=True)
        parser.add_argument(
            "--by", default="", help="username of the centre staff member acting (else: system)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        issuer = Issuer.objects.filter(credit_code=options["credit_code"].strip().upper()).first()
        if issuer is None:
            raise CommandError(f"no registered issuer has credit code {options['credit_code']}")
        actor = None
        if options["by"]:
            actor = Person.objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['by']}")
        try:
            issuer_deactivate(issuer=issuer, actor=actor, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"deactivated {issuer.name} {issuer.credit_code}")
