"""The demo's deposits: the opening section's three bidders in three states — bidder1 pays
through the bank simulator (a real transfer, called back to daphne), bidder2 gives an
electronic guarantee signed by a demo issuer, bidder3 pays nothing.

``demo_data`` calls :func:`prepare` (basic accounts, bidder1's sub-account, the issuer and
bidder2's guarantee); ``scripts/run-demo`` runs ``manage.py demo_deposits`` once the bank
simulator and daphne answer, which makes bidder1's transfer (once: not again on a restart).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.credit_code import with_check_character
from accounts.models import Person
from deposits import collection, guarantee_terms, guarantees, issuers
from deposits.models import BankLine, Guarantee, IssuerKind, SubAccount
from ggzy import clock
from ggzy_core import guarantee as protocol
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING
from trading.models import Section

BASIC_ACCOUNTS = {
    "bidder1": "6222020200000001",
    "bidder2": "6222020200000002",
    "bidder3": "6222020200000003",
}
ISSUER_NAME = "示范担保银行股份有限公司（演示）"
ISSUER_CODE = "91320100MA1Y00099"  # the check character is added below


def issuer_code() -> str:
    return with_check_character(ISSUER_CODE)


def prepare(opening: Section, key_dir: Path) -> None:
    for username, number in BASIC_ACCOUNTS.items():
        person = Person.objects.get(username=username)
        assert person.organisation is not None  # nosec B101 # narrows the type for mypy
        collection.basic_account_register(
            organisation=person.organisation,
            number=number,
            name=person.organisation.name,
            bank="示范银行（演示）",
            actor=person,
        )
    payer = Person.objects.get(username="bidder1")
    assert payer.organisation is not None  # nosec B101 # narrows the type for mypy
    collection.sub_account_for(section=opening, bidder=payer.organisation, actor=payer)
    _guarantee_for_bidder2(opening, key_dir)


def _guarantee_for_bidder2(opening: Section, key_dir: Path) -> None:
    key = sm2.generate_private_key()
    path = key_dir / "issuer.pem"
    path.write_bytes(key.to_pem())
    path.chmod(0o600)
    issuer = issuers.issuer_register(
        name=ISSUER_NAME,
        credit_code=issuer_code(),
        kind=IssuerKind.BANK,
        public_key_pem=key.public_key().to_pem().decode("ascii"),
        claim_url="",
        actor=None,
    )
    bidder = Person.objects.get(username="bidder2").organisation
    assert bidder is not None  # nosec B101 # narrows the type for mypy
    document = (
        b"%PDF-1.4\n% ggzy demo guarantee\n1 0 obj << /Type /Catalog >> endobj\n"
        + f"Guarantee BH-DEMO-0001 for {opening.code}\n".encode()
        + b"%%EOF\n"
    )
    payload = {
        "format": protocol.PAYLOAD_FORMAT,
        "number": "BH-DEMO-0001",
        "issuer": issuer.credit_code,
        "beneficiary": opening.project.tenderee.credit_code,
        "section": opening.code,
        "bidder": bidder.credit_code,
        "amount": f"{opening.bid_deposit:.2f}",
        "currency": "CNY",
        "valid_from": clock.now().astimezone(BEIJING).date().isoformat(),
        "valid_until": guarantee_terms.required_until(opening).isoformat(),
        "document_sm3": sm3_hex(document),
        "issued_at": clock.now().astimezone(BEIJING).replace(microsecond=0).isoformat(),
    }
    data = protocol.payload_bytes(payload)
    guarantees.guarantee_submit(
        issuer=issuer, payload=data, signature=key.sign(data), document=document
    )


class Command(BaseCommand):
    help = "Pay bidder1's demo deposit through the bank simulator (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo data is for DEBUG (demo) installations only / 仅用于演示环境")
        sub = SubAccount.objects.filter(bidder__people__username="bidder1").first()
        if sub is None or BankLine.objects.filter(account=sub.number).exists():
            return  # no demo data, or paid already
        if clock.now() >= sub.section.bid_deadline:
            return  # the demo opening has passed: a payment now would only be held as late
        self._pay(sub)
        guaranteed = Guarantee.objects.filter(number="BH-DEMO-0001").exists()
        self.stdout.write(
            f"  demo deposits: bidder1 paid {sub.section.bid_deposit} yuan to {sub.number} "
            f"through the bank simulator; bidder2 {'has a guarantee' if guaranteed else '—'}; "
            "bidder3 none"
        )

    def _pay(self, sub: SubAccount) -> None:
        bank = settings.BANK_URL.rstrip("/")
        number = BASIC_ACCOUNTS["bidder1"]
        for _attempt in range(60):  # the simulator and daphne are starting beside us
            try:
                requests.get(f"{bank}/_control/health", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.5)
        opened = requests.post(
            f"{bank}/_control/accounts",
            json={"number": number, "name": sub.bidder.name, "balance": "5000000.00"},
            timeout=10,
        )
        if opened.status_code not in (200, 201, 409):
            raise CommandError(f"the bank simulator refused the demo account: {opened.text}")
        paid = requests.post(
            f"{bank}/transfers",
            json={
                "from_account": number,
                "from_name": sub.bidder.name,
                "to_account": sub.number,
                "amount": f"{sub.section.bid_deposit:.2f}",
                "memo": "投标保证金（演示）",
            },
            timeout=10,
        )
        if paid.status_code != 201:
            raise CommandError(f"the demo transfer was refused: {paid.text}")
