"""The demo holders' step in an opening key ceremony, in-process: what each of the centre,
the regulator and the tenderee runs with ``ggzy-bid opening-key ceremony`` on its own machine
(ggzy_core.gm.dkg), here with the demo keys ``demo_data`` wrote to ``var/demo-keys``.

``demo_data`` calls :func:`complete` for its first section; ``manage.py demo_ceremony CODE``
takes the demo holders' remaining steps in the ceremony of a draft created in the browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Person
from ggzy.errors import DomainError
from ggzy_core.gm import dkg, sm2
from trading import ceremony
from trading.models import CeremonyStatus, KeyCeremony, KeyDealing, KeyVerification, Section

# The demo's holders in the order of their indices (trading/opening_key.py: holders_of).
HOLDERS = {1: "centre", 2: "regulator", 3: "tenderee"}


def _key(key_dir: Path, username: str) -> sm2.SM2PrivateKey:
    return sm2.load_private_key((key_dir / f"{username}.pem").read_bytes())


def _deal(section: Section, found: KeyCeremony, index: int, key_dir: Path) -> None:
    username = HOLDERS[index]
    recipients = {
        holder.index: sm2.load_public_key(holder.public_key_pem.encode())
        for holder in found.holders.all()
    }
    document = dkg.deal(
        section=section.code,
        ceremony=str(found.pk),
        dealer=index,
        threshold=found.threshold,
        recipients=recipients,
    ).document()
    ceremony.deal(
        section=section,
        person=Person.objects.get(username=username),
        document=document,
        signature=_key(key_dir, username).sign(dkg.dealing_message(document)),
    )


def _verify(section: Section, found: KeyCeremony, index: int, key_dir: Path) -> None:
    username = HOLDERS[index]
    key = _key(key_dir, username)
    dealings = [
        dkg.Dealing.from_document(row.document)
        for row in KeyDealing.objects.filter(holder__ceremony=found)
    ]
    review = dkg.review_dealings(dealings, holder=index, key=key)
    document = dkg.Verification(
        section=section.code, ceremony=str(found.pk), holder=index, complaints=review.complaints
    ).document()
    ceremony.verify(
        section=section,
        person=Person.objects.get(username=username),
        document=document,
        signature=key.sign(dkg.verification_message(document)),
    )


def complete(section: Section, *, key_dir: Path | None = None) -> KeyCeremony:
    """Start the ceremony if needed (as the tenderee) and take every demo holder's step."""
    folder = key_dir or Path(settings.VAR_DIR) / "demo-keys"
    found = ceremony.latest(section)
    if found is None or found.status == CeremonyStatus.FAILED:
        found = ceremony.start(section=section, actor=Person.objects.get(username="tenderee"))
    for index in HOLDERS:
        if not KeyDealing.objects.filter(holder__ceremony=found, holder__index=index).exists():
            _deal(section, found, index, folder)
    for index in HOLDERS:
        if not KeyVerification.objects.filter(holder__ceremony=found, holder__index=index).exists():
            _verify(section, found, index, folder)
    found.refresh_from_db()
    return found


class Command(BaseCommand):
    help = "Take the demo holders' steps in a draft section's opening key ceremony."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="the section's code")

    def handle(self, *args: Any, **options: Any) -> None:
        section = Section.objects.filter(code=options["code"]).first()
        if section is None:
            raise CommandError(f"没有标段 {options['code']} / No section {options['code']}")
        try:
            found = complete(section)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{section.code}: {found.status} — {ceremony.status_line(section, found)}"
        )
