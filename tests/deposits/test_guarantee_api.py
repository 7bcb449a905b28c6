"""The issuer API: signed submissions and revocations, replay and the other refusals, and the
issuer simulator submitting to a real daphne process."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from deposits import guarantees
from deposits.guarantee_terms import required_until
from deposits.models import Guarantee, GuaranteeStatus, IssuerKind
from ggzy import clock
from ggzy_core import guarantee as protocol
from simulators.issuer import client
from tests import servers
from tests.bidding.conftest import Bidder, bidders, make_bidder, open_for_bids, section  # noqa: F401
from tests.deposits.guarantee_world import Signer, issued, register, signer, terms_for  # noqa: F401
from tests.tools import nothing_changes
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")


def send(prepared: client.Prepared) -> Any:
    """Through Django's test client, byte for byte as the issuer prepared it."""
    headers = dict(prepared.headers)
    content_type = headers.pop("Content-Type")
    return Client().generic(
        prepared.method, prepared.path, prepared.body, content_type=content_type, headers=headers
    )


def submission(signer: Signer, terms: dict[str, str], fault: str = "") -> client.Prepared:  # noqa: F811
    return client.submission(
        key=signer.key, issuer=signer.code, issued=issued(signer, terms, fault), fault=fault
    )


@pytest.mark.django_db
def test_an_issuer_submits_a_guarantee_and_gets_its_verification_code(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    response = send(submission(signer, terms_for(section, bidders[0].organisation, signer)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert CODE.match(body["verification_code"])
    assert (body["number"], body["status"], body["amount"]) == (
        "BH2026000001",
        "valid",
        "800000.00",
    )
    stored = Guarantee.objects.get()
    assert guarantees.format_code(stored.verification_code) == body["verification_code"]
    assert guarantees.cover(section, bidders[0].organisation) == stored


@pytest.mark.django_db
def test_the_same_guarantee_sent_again_answers_200_with_the_same_code(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    made = issued(signer, terms_for(section, bidders[0].organisation, signer))
    first = send(client.submission(key=signer.key, issuer=signer.code, issued=made))
    again = send(client.submission(key=signer.key, issuer=signer.code, issued=made))  # new nonce
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()


@pytest.mark.django_db
def test_a_replayed_request_is_refused_and_changes_nothing(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    prepared = submission(signer, terms_for(section, bidders[0].organisation, signer))
    assert send(prepared).status_code == 201
    with nothing_changes(Guarantee):
        replayed = send(prepared)
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "replayed"
    assert "nonce" in replayed.json()["detail"] and "随机数" in replayed.json()["detail"]


@pytest.mark.django_db
def test_a_request_without_the_issuer_headers_is_refused_with_401(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    prepared = submission(signer, terms_for(section, bidders[0].organisation, signer))
    bare = client.Prepared(
        prepared.method,
        prepared.path,
        {"Content-Type": prepared.headers["Content-Type"]},
        prepared.body,
    )
    with nothing_changes(Guarantee):
        response = send(bare)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Ggzy-SM2")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        ("stale", 401, "stale_request"),
        ("bad_request_signature", 401, "bad_request_signature"),
        ("unknown_issuer", 401, "unknown_issuer"),
        ("inactive_issuer", 403, "issuer_inactive"),
        ("oversize_document", 413, "too_large"),
        ("bad_signature", 400, "bad_signature"),
    ],
)
def test_a_request_that_does_not_prove_its_issuer_or_its_guarantee_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
    tamper: str,
    status: int,
    code: str,
) -> None:
    terms = terms_for(section, bidders[0].organisation, signer)
    fault = tamper if tamper in client.FAULTS else ""
    made = issued(signer, terms, fault)
    prepared = client.submission(key=signer.key, issuer=signer.code, issued=made, fault=fault)
    if tamper == "stale":
        old = int(clock.now().timestamp()) - protocol.REQUEST_WINDOW_SECONDS - 5
        headers = protocol.signed_headers(
            key=signer.key,
            issuer=signer.code,
            method="POST",
            path=prepared.path,
            content=made.payload,
            timestamp=old,
        )
        prepared = client.Prepared(
            "POST", prepared.path, {**prepared.headers, **headers}, prepared.body
        )
    if tamper == "unknown_issuer":
        prepared = client.submission(key=signer.key, issuer="91110000MA01XXXX00", issued=made)
    if tamper == "inactive_issuer":
        guarantees.issuer_deactivate(issuer=signer.issuer, actor=None, reason="停业")
    with nothing_changes(Guarantee):
        response = send(prepared)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert " / " in response.json()["detail"]


@pytest.mark.django_db
def test_a_bad_term_is_refused_naming_its_field(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    short = (required_until(section) - dt.timedelta(days=1)).isoformat()
    terms = terms_for(section, bidders[0].organisation, signer, valid_until=short)
    with nothing_changes(Guarantee):
        response = send(submission(signer, terms))
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("validity_too_short", "valid_until")
    assert "[R26]" in body["detail"] and required_until(section).isoformat() in body["detail"]


@pytest.mark.django_db
def test_an_issuer_revokes_its_guarantee_and_nobody_else_can(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    first = send(submission(signer, terms_for(section, bidders[0].organisation, signer)))
    assert first.status_code == 201
    other = register("别家银行")
    theirs = client.revocation(
        key=other.key, issuer=other.code, number="BH2026000001", reason="试图撤销"
    )
    with nothing_changes(Guarantee):
        refused = send(theirs)
    mine = send(
        client.revocation(key=signer.key, issuer=signer.code, number="BH2026000001", reason="欠费")
    )
    assert refused.status_code == 404
    assert mine.status_code == 200 and mine.json()["status"] == "revoked"
    assert guarantees.cover(section, bidders[0].organisation) is None


@pytest.mark.django_db(transaction=True)
def test_the_issuer_simulator_submits_replays_and_revokes_against_a_real_platform(
    published: Section,  # noqa: F811
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=2))  # noqa: F811
    bidder = make_bidder("真实网络投标有限公司").organisation
    with servers.issuer_simulator(tmp_path) as simulator, servers.daphne(tmp_path) as platform:
        guarantees.issuer_register(
            name="模拟担保有限公司",
            credit_code=simulator.credit_code,
            kind=IssuerKind.GUARANTOR,
            public_key_pem=simulator.public_key_pem(),
            claim_url=simulator.url + "/claims",
            actor=None,
        )
        order = {
            "platform_url": platform.url,
            "number": "DB2026-0001",
            "section": section.code,
            "bidder": bidder.credit_code,
            "beneficiary": section.project.tenderee.credit_code,
            "amount": "800000.00",
            "valid_from": clock.now().date().isoformat(),
            "valid_until": required_until(section).isoformat(),
        }
        accepted = simulator.control("/_control/issue", order)
        replayed = simulator.control("/_control/replay")
        revoked = simulator.control(
            "/_control/revoke",
            {"platform_url": platform.url, "number": "DB2026-0001", "reason": "投保人撤回申请"},
        )
    assert accepted["status"] == 201, accepted
    answer: Any = accepted["answer"]
    assert CODE.match(answer["verification_code"])
    assert replayed["status"] == 401 and replayed["answer"]["code"] == "replayed"  # type: ignore[index]
    assert revoked["status"] == 200, revoked
    guarantee = Guarantee.objects.get()
    assert guarantee.status == GuaranteeStatus.REVOKED
    assert guarantee.document.read().startswith(b"%PDF-")
