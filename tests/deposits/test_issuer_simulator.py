"""The issuer simulator, a real process, against a real daphne platform: every bad term is
refused over HTTP with its reason, and a claim reaches the issuer once even when sent twice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from accounts.models import Role
from deposits import guarantees
from deposits.guarantee_claims import ClaimNotDelivered
from deposits.guarantee_terms import required_until
from deposits.issuer_gateway import ClaimAnswer, HttpIssuerGateway, IssuerUnavailable
from deposits.models import Forfeiture, Guarantee, GuaranteeStatus, Issuer, IssuerKind
from ggzy import clock, signing
from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from simulators.issuer.pdf import minimal_pdf
from tests import servers, tools
from tests.bidding.conftest import make_bidder, open_for_bids
from tests.factories import PersonFactory
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section


def register(simulator: servers.IssuerSimulator) -> Issuer:
    return guarantees.issuer_register(
        name="模拟担保有限公司",
        credit_code=simulator.credit_code,
        kind=IssuerKind.GUARANTOR,
        public_key_pem=simulator.public_key_pem(),
        claim_url=simulator.url + "/claims",
        actor=None,
    )


def order(
    platform: servers.Running, section: Section, bidder_code: str, **terms: str
) -> dict[str, str]:
    values = {
        "platform_url": platform.url,
        "number": "SIM2026-0001",
        "section": section.code,
        "bidder": bidder_code,
        "beneficiary": section.project.tenderee.credit_code,
        "amount": f"{section.bid_deposit:.2f}",
        "valid_from": clock.now().date().isoformat(),
        "valid_until": required_until(section).isoformat(),
    }
    values.update(terms)
    return values


def refusal(answer: dict[str, Any]) -> tuple[int, str, str]:
    body = answer["answer"]
    assert " / " in body["detail"], body  # Chinese / English, the cause and what to do
    return answer["status"], body["code"], body.get("field", "")


@pytest.mark.django_db(transaction=True)
def test_a_valid_guarantee_counts_as_cover_and_each_bad_term_is_refused_with_its_reason(
    published: Section,  # noqa: F811
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=2))
    bidder = make_bidder("模拟投标有限公司").organisation
    code = bidder.credit_code
    short = (required_until(section) - dt.timedelta(days=1)).isoformat()
    cases = {
        "bad_signature": ({"fault": "bad_signature"}, (400, "bad_signature", "signature")),
        "forged request": (
            {"fault": "bad_request_signature"},
            (401, "bad_request_signature", "Ggzy-Signature"),
        ),
        "document hash": (
            {"fault": "document_mismatch"},
            (400, "document_mismatch", "document_sm3"),
        ),
        "oversize": ({"fault": "oversize_document"}, (413, "too_large", "document")),
        "amount": ({"amount": "1.00"}, (400, "amount_too_low", "amount")),
        "validity": ({"valid_until": short}, (400, "validity_too_short", "valid_until")),
        "beneficiary": ({"beneficiary": code}, (400, "invalid", "beneficiary")),
        "unknown issuer": (
            {"issuer": "91110000MA01XXXX00"},
            (401, "unknown_issuer", "Ggzy-Issuer"),
        ),
    }
    with servers.issuer_simulator(tmp_path) as simulator, servers.daphne(tmp_path) as platform:
        issuer = register(simulator)
        refused = {
            name: refusal(
                simulator.control("/_control/issue", order(platform, section, code, **change))
            )
            for name, (change, _expected) in cases.items()
        }
        assert not Guarantee.objects.exists()
        accepted = simulator.control("/_control/issue", order(platform, section, code))
        Section.objects.filter(pk=section.pk).update(
            bid_deadline=clock.now() - dt.timedelta(seconds=1)
        )
        late = simulator.control(
            "/_control/issue", order(platform, section, code, number="SIM2026-0002")
        )
        guarantees.issuer_deactivate(issuer=issuer, actor=None, reason="停业整顿")
        inactive = simulator.control(
            "/_control/issue", order(platform, section, code, number="SIM2026-0003")
        )
    assert refused == {name: expected for name, (_change, expected) in cases.items()}
    assert accepted["status"] == 201, accepted
    section.refresh_from_db()
    Section.objects.filter(pk=section.pk).update(bid_deadline=clock.now() + dt.timedelta(hours=1))
    section.refresh_from_db()
    assert guarantees.cover(section, bidder) == Guarantee.objects.get()
    assert refusal(late) == (400, "not_accepting", "section")
    assert refusal(inactive) == (403, "issuer_inactive", "Ggzy-Issuer")


class LosesFirstAnswer:
    """The claim reaches the issuer, its answer is lost on the way back (a timeout)."""

    def __init__(self) -> None:
        self.http = HttpIssuerGateway(timeout=10)
        self.lost = False

    def send_claim(self, **kwargs: Any) -> ClaimAnswer:
        answer = self.http.send_claim(**kwargs)
        if not self.lost:
            self.lost = True
            raise IssuerUnavailable("read timed out")
        return answer


@pytest.mark.django_db(transaction=True)
def test_a_claim_reaches_the_issuer_once_even_when_sent_twice(
    published: Section,  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=2))
    bidder = make_bidder("将被没收的投标有限公司").organisation
    key_file = tmp_path / "platform.pub.pem"
    key_file.write_bytes(signing.platform_public_key().to_pem())
    host = PersonFactory.create(organisation=holders.centre, role=Role.STAFF)
    with servers.issuer_simulator(tmp_path, platform_key=key_file) as simulator:
        register(simulator)
        with servers.daphne(tmp_path) as platform:
            made = order(platform, section, bidder.credit_code)
            issued = simulator.control("/_control/issue", made)
        assert issued["status"] == 201, issued
        Section.objects.filter(pk=section.pk).update(
            bid_deadline=clock.now() - dt.timedelta(hours=1)
        )
        guarantee = Guarantee.objects.get()
        decision = Forfeiture.objects.create(
            section=section,
            bidder=bidder,
            amount=guarantee.amount,
            reason="投标截止后撤销投标文件 [R35]",
            decided_at=clock.now(),
            decided_by=host,
        )
        claim = guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=host)
        gateway = LosesFirstAnswer()
        with pytest.raises(ClaimNotDelivered):  # delivered, but the answer was lost
            guarantees.claim_send(claim_id=claim.pk, gateway=gateway)
        simulator.control("/_control/fail-claims", {"count": 1})
        with pytest.raises(ClaimNotDelivered):  # the issuer is down for a moment: 503
            guarantees.claim_send(claim_id=claim.pk, gateway=gateway)
        answered = guarantees.claim_send(claim_id=claim.pk, gateway=gateway)
        guarantees.claim_send(claim_id=claim.pk, gateway=gateway)  # answered: not sent again
        received = simulator.claims()
    assert len(received) == 1
    (only,) = received
    assert only["claim_id"] == str(claim.key) and only["deliveries"] == 2
    assert only["verified"] is True and only["amount"] == "800000.00"
    assert answered.issuer_reference == only["reference"] and answered.attempts == 3
    assert Guarantee.objects.get().status == GuaranteeStatus.CLAIMED


def test_the_simulator_refuses_a_claim_signed_with_a_key_it_does_not_know(tmp_path: Path) -> None:
    key_file = tmp_path / "platform.pub.pem"
    key_file.write_bytes(signing.platform_public_key().to_pem())
    impostor = sm2.generate_private_key()
    body = canonical({"format": protocol.CLAIM_FORMAT, "claim_id": "c-1", "number": "X-0001"})
    with servers.issuer_simulator(tmp_path, platform_key=key_file) as simulator:
        answer = requests.post(
            simulator.url + "/claims",
            data=body,
            headers={
                protocol.HEADER_IDEMPOTENCY_KEY: "c-1",
                protocol.HEADER_SIGNATURE: impostor.sign(body).hex(),
                protocol.HEADER_KEY: impostor.public_key().fingerprint(),
            },
            timeout=10,
        )
        assert simulator.claims() == []
    assert answer.status_code == 401


@tools.requires(shutil.which("pdftotext"), "needs poppler-utils (pdftotext)")
def test_the_simulators_document_is_a_pdf_a_reader_opens(tmp_path: Path) -> None:
    document = tmp_path / "guarantee.pdf"
    document.write_bytes(minimal_pdf(["Guarantee number: SIM2026-0001", "Amount: CNY 800000.00"]))
    text = subprocess.run(
        ["pdftotext", str(document), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "SIM2026-0001" in text and "800000.00" in text
