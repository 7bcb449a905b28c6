from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Person
from deposits.issuers import issuer_register
from deposits.models import IssuerKind
from ggzy.errors import DomainError


class Command(BaseCommand):
    help = (
        "Register a guarantee issuer (bank, insurer, guarantee company) with the SM2 public key "
        "its guarantees and requests are signed with. Ledgered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the issuer's registered name")
        parser.add_argument("--credit-code", required=True, help="unified social credit code")
        parser.add_argument("--kind", required=True, choices=IssuerKind.values)
        parser.add_argument(
            "--public-key", required=True, type=Path, help="SM2 public key, SPKI PEM file"
        )
        parser.add_argument(
            "--claim-url", default="", help="where the issuer receives claims (POST)"
        )
        parser.add_argument(
            "--by", default="", help="username of the centre staff member acting (else: system)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["by"]:
            actor = Person.objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"no such user: {options['by']}")
        try:
            pem = options["public_key"].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the public key file: {exc}") from exc
        try:
            issuer = issuer_register(
                name=options["name"],
                credit_code=options["credit_code"],
                kind=options["kind"],
                public_key_pem=pem,
                claim_url=options["claim_url"],
                actor=actor,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"registered {issuer.name} {issuer.credit_code} key {issuer.key_fingerprint}"
        )
