"""Guarantee tests' world: a section taking bids (tests.bidding.conftest), a registered
issuer with its SM2 key, and guarantees issued the way the issuer simulator issues them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from accounts.models import Organisation
from deposits import guarantees
from deposits.guarantee_terms import required_until
from deposits.models import Guarantee, Issuer, IssuerKind
from ggzy import clock
from ggzy_core.gm import sm2
from simulators.issuer import client
from tests.factories import credit_code
from trading.models import Section


@dataclass
class Signer:
    """A registered issuer and the private key it signs with."""

    issuer: Issuer
    key: sm2.SM2PrivateKey

    @property
    def code(self) -> str:
        return self.issuer.credit_code


def register(
    name: str = "示范银行股份有限公司", *, claim_url: str = "", key: sm2.SM2PrivateKey | None = None
) -> Signer:
    private = key or sm2.generate_private_key()
    issuer = guarantees.issuer_register(
        name=name,
        credit_code=credit_code(),
        kind=IssuerKind.BANK,
        public_key_pem=private.public_key().to_pem().decode(),
        claim_url=claim_url,
        actor=None,
    )
    return Signer(issuer=issuer, key=private)


@pytest.fixture
def signer(db: None) -> Signer:
    return register()


def terms_for(
    section: Section, bidder: Organisation, signer: Signer, **overrides: str
) -> dict[str, str]:
    """Terms that cover the section's deposit exactly, from today to the last day needed."""
    today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    terms = {
        "number": "BH2026000001",
        "issuer": signer.code,
        "beneficiary": section.project.tenderee.credit_code,
        "section": section.code,
        "bidder": bidder.credit_code,
        "amount": f"{section.bid_deposit:.2f}",
        "valid_from": today.isoformat(),
        "valid_until": required_until(section).isoformat(),
        "issued_at": clock.now().replace(microsecond=0).isoformat(),
    }
    terms.update(overrides)
    return terms


def issued(signer: Signer, terms: dict[str, str], fault: str = "") -> client.Issued:
    return client.issue(key=signer.key, terms=terms, fault=fault)


def submit(signer: Signer, terms: dict[str, str], fault: str = "") -> Guarantee:
    made = issued(signer, terms, fault)
    return guarantees.guarantee_submit(
        issuer=signer.issuer, payload=made.payload, signature=made.signature, document=made.document
    )


def signed_request(prepared: client.Prepared, content: bytes) -> guarantees.SignedRequest:
    headers = prepared.headers
    return guarantees.SignedRequest(
        issuer=headers["Ggzy-Issuer"],
        method=prepared.method,
        path=prepared.path,
        timestamp=headers["Ggzy-Timestamp"],
        nonce=headers["Ggzy-Nonce"],
        signature=headers["Ggzy-Signature"],
        content=content,
    )
