"""Guarantee services: submission (every term checked, idempotent), cover, revocation,
release and what the ledger keeps."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from deposits import guarantees
from deposits.models import Alert, AlertKind, Guarantee, GuaranteeStatus
from ggzy.errors import DomainError
from ggzy_core.canonical import canonical
from simulators.issuer import client
from supervision import ledger
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.deposits.guarantee_world import (
    Signer,
    issued,
    register,
    signed_request,
    signer,  # noqa: F401
    submit,
    terms_for,
)
from tests.factories import credit_code
from tests.ggzy_core.gm.helpers import openssl, requires_openssl
from tests.tools import nothing_changes
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db


def test_a_valid_guarantee_is_accepted_and_covers_the_deposit(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    bidder = bidders[0].organisation
    guarantee = submit(signer, terms_for(section, bidder, signer))
    assert guarantee.status == GuaranteeStatus.VALID
    assert guarantee.amount == section.bid_deposit
    assert guarantee.document.read().startswith(b"%PDF-")
    assert len(guarantee.verification_code) == 12
    assert guarantees.cover(section, bidder) == guarantee
    assert guarantees.cover(section, bidders[1].organisation) is None


def test_the_stored_payload_gives_back_the_signed_bytes(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    made = issued(signer, terms_for(section, bidders[0].organisation, signer))
    guarantee = guarantees.guarantee_submit(
        issuer=signer.issuer, payload=made.payload, signature=made.signature, document=made.document
    )
    guarantee.refresh_from_db()
    assert canonical(guarantee.payload) == made.payload
    assert signer.key.public_key().verify(canonical(guarantee.payload), bytes(guarantee.signature))


def test_the_same_submission_again_answers_the_same_guarantee(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    made = issued(signer, terms_for(section, bidders[0].organisation, signer))
    first, created = guarantees.guarantee_accept(
        issuer=signer.issuer, payload=made.payload, signature=made.signature, document=made.document
    )
    # Re-signed (SM2 signatures differ each time) after a lost answer, and after the deadline.
    with time_machine.travel(section.bid_deadline + dt.timedelta(hours=1), tick=False):
        again, created_again = guarantees.guarantee_accept(
            issuer=signer.issuer,
            payload=made.payload,
            signature=signer.key.sign(made.payload),
            document=made.document,
        )
    assert created and not created_again
    assert again.pk == first.pk and again.verification_code == first.verification_code
    assert Guarantee.objects.count() == 1


def test_another_payload_under_a_used_number_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    submit(signer, terms_for(section, bidders[0].organisation, signer))
    other = terms_for(section, bidders[0].organisation, signer, amount="900000.00")
    with nothing_changes(Guarantee), pytest.raises(DomainError) as refused:
        submit(signer, other)
    assert (refused.value.code, refused.value.field) == ("duplicate", "number")


def test_two_issuers_may_use_the_same_number(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    other = register("示范保险股份有限公司")
    submit(signer, terms_for(section, bidders[0].organisation, signer))
    submit(other, terms_for(section, bidders[1].organisation, other))
    assert Guarantee.objects.filter(number="BH2026000001").count() == 2


BAD_TERMS = [
    ("amount below the deposit", {"amount": "799999.99"}, "amount", "amount_too_low"),
    ("amount not yuan", {"amount": "8e5"}, "amount", "invalid"),
    ("validity too short", {"valid_until": "SHORT"}, "valid_until", "validity_too_short"),
    ("in force only after the deadline", {"valid_from": "LATE"}, "valid_from", "invalid"),
    ("beneficiary not the tenderee", {"beneficiary": "OTHER"}, "beneficiary", "invalid"),
    ("bidder not registered", {"bidder": "91320100MA9999999X"}, "bidder", "invalid"),
    ("unknown section", {"section": "GGZY-NO-SUCH"}, "section", "unknown_section"),
    ("another currency", {"currency": "USD"}, "currency", "invalid"),
    ("another issuer's code", {"issuer": "OTHER"}, "issuer", "invalid"),
    ("number with a slash", {"number": "BH/2026"}, "number", "invalid"),
    ("issued in the future", {"issued_at": "FUTURE"}, "issued_at", "invalid"),
]


@pytest.mark.parametrize(
    ("case", "change", "field", "code"), BAD_TERMS, ids=[c[0] for c in BAD_TERMS]
)
def test_each_bad_term_is_refused_naming_its_field(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
    case: str,
    change: dict[str, str],
    field: str,
    code: str,
) -> None:
    terms = terms_for(section, bidders[0].organisation, signer)
    other = register("另一家银行")
    replacements = {
        "SHORT": (dt.date.fromisoformat(terms["valid_until"]) - dt.timedelta(days=1)).isoformat(),
        "LATE": (section.bid_deadline + dt.timedelta(days=2)).date().isoformat(),
        "OTHER": other.code,
        "FUTURE": (section.bid_deadline + dt.timedelta(days=1)).isoformat(),
    }
    terms.update({name: replacements.get(value, value) for name, value in change.items()})
    with nothing_changes(Guarantee), pytest.raises(DomainError) as refused:
        submit(signer, terms)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert " / " in refused.value.message  # Chinese / English


@pytest.mark.parametrize(
    ("fault", "field", "code"),
    [
        ("bad_signature", "signature", "bad_signature"),
        ("document_mismatch", "document_sm3", "document_mismatch"),
        ("oversize_document", "document", "too_large"),
    ],
)
def test_a_forged_or_oversize_submission_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
    fault: str,
    field: str,
    code: str,
) -> None:
    with nothing_changes(Guarantee), pytest.raises(DomainError) as refused:
        submit(signer, terms_for(section, bidders[0].organisation, signer), fault=fault)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_payload_that_is_not_canonical_or_not_a_pdf_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    made = issued(signer, terms_for(section, bidders[0].organisation, signer))
    spaced = made.payload.replace(b",", b", ")
    with pytest.raises(DomainError) as not_canonical:
        guarantees.guarantee_submit(
            issuer=signer.issuer,
            payload=spaced,
            signature=signer.key.sign(spaced),
            document=made.document,
        )
    with pytest.raises(DomainError) as not_pdf:
        guarantees.guarantee_submit(
            issuer=signer.issuer,
            payload=made.payload,
            signature=made.signature,
            document=b"GIF89a" + made.document,
        )
    oversize = b'{"x":"' + b"a" * 17000 + b'"}'
    with pytest.raises(DomainError) as too_big:
        guarantees.guarantee_submit(
            issuer=signer.issuer,
            payload=oversize,
            signature=signer.key.sign(oversize),
            document=made.document,
        )
    assert not_canonical.value.code == "not_canonical"
    assert not_pdf.value.code == "not_pdf"
    assert (too_big.value.field, too_big.value.code) == ("payload", "too_large")
    assert not Guarantee.objects.exists()


def test_a_guarantee_after_the_bid_deadline_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    terms = terms_for(section, bidders[0].organisation, signer)
    with time_machine.travel(section.bid_deadline, tick=False):
        terms["issued_at"] = section.bid_deadline.isoformat()
        with nothing_changes(Guarantee), pytest.raises(DomainError) as refused:
            submit(signer, terms)
    assert (refused.value.field, refused.value.code) == ("section", "not_accepting")


def test_an_inactive_issuer_cannot_submit(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    guarantees.issuer_deactivate(issuer=signer.issuer, actor=None, reason="牌照被吊销")
    signer.issuer.refresh_from_db()
    with nothing_changes(Guarantee), pytest.raises(DomainError) as refused:
        submit(signer, terms_for(section, bidders[0].organisation, signer))
    assert refused.value.code == "issuer_inactive"


def test_the_ledger_says_nothing_of_a_guarantee_before_the_deadline(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    guarantee = submit(signer, terms_for(section, bidders[0].organisation, signer))
    entry = LedgerEntry.objects.get(action="deposits.guarantee.received")
    assert entry.embargo == section.embargo_scope
    assert not ledger.visible().filter(pk=entry.pk).exists()
    assert ledger.visible(section.bid_deadline).filter(pk=entry.pk).exists()
    assert guarantee.verification_code not in str(entry.data)
    assert entry.data["bidder"] == bidders[0].organisation.credit_code


def test_a_moved_deadline_needs_a_new_guarantee_and_both_stay_valid(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    bidder = bidders[0].organisation
    old = submit(signer, terms_for(section, bidder, signer))
    Section.objects.filter(pk=section.pk).update(
        bid_deadline=section.bid_deadline + dt.timedelta(days=20)
    )
    section.refresh_from_db()
    assert guarantees.cover(section, bidder) is None  # too short for the new deadline
    new = submit(signer, terms_for(section, bidder, signer, number="BH2026000002"))
    assert guarantees.cover(section, bidder) == new
    old.refresh_from_db()
    assert old.status == GuaranteeStatus.VALID


def _revoke(by: Signer, number: str, reason: str = "投保人未缴保费") -> Guarantee:
    prepared = client.revocation(key=by.key, issuer=by.code, number=number, reason=reason)
    return guarantees.guarantee_revoke(
        issuer=by.issuer, number=number, request=signed_request(prepared, prepared.body)
    )


def test_a_revocation_before_the_deadline_leaves_the_bidder_without_cover(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    bidder = bidders[0].organisation
    submit(signer, terms_for(section, bidder, signer))
    revoked = _revoke(signer, "BH2026000001")
    assert revoked.status == GuaranteeStatus.REVOKED and not revoked.revoked_after_deadline
    assert guarantees.cover(section, bidder) is None
    assert revoked.revocation is not None and revoked.revocation["body"].startswith("{")
    assert not Alert.objects.exists()
    assert _revoke(signer, "BH2026000001").revoked_at == revoked.revoked_at  # again: unchanged


def test_a_revocation_after_the_deadline_is_recorded_and_flagged(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    submit(signer, terms_for(section, bidders[0].organisation, signer))
    with time_machine.travel(section.bid_deadline + dt.timedelta(hours=2), tick=False):
        revoked = _revoke(signer, "BH2026000001")
    assert revoked.revoked_after_deadline
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.GUARANTEE_REVOKED and "[R35]" in alert.message


def test_a_revocation_signed_by_someone_else_or_for_another_issuers_number_is_refused(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    submit(signer, terms_for(section, bidders[0].organisation, signer))
    stranger = register("冒名银行")
    forged = client.revocation(
        key=stranger.key, issuer=signer.code, number="BH2026000001", reason="x"
    )
    with nothing_changes(Guarantee), pytest.raises(DomainError) as bad_signature:
        guarantees.guarantee_revoke(
            issuer=signer.issuer,
            number="BH2026000001",
            request=signed_request(forged, forged.body),
        )
    with nothing_changes(Guarantee), pytest.raises(DomainError) as not_theirs:
        _revoke(stranger, "BH2026000001")
    assert bad_signature.value.code == "bad_request_signature"
    assert not_theirs.value.code == "not_found"


def test_guarantees_are_released_when_the_section_ends_and_not_before(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    first = submit(signer, terms_for(section, bidders[0].organisation, signer))
    second = submit(
        signer, terms_for(section, bidders[1].organisation, signer, number="BH2026000002")
    )
    with nothing_changes(Guarantee), pytest.raises(DomainError):
        guarantees.guarantee_release(section=section)
    Section.objects.filter(pk=section.pk).update(status=SectionStatus.CANCELLED)
    released = guarantees.guarantee_release(section=section)
    assert {g.pk for g in released} == {first.pk, second.pk}
    assert set(Guarantee.objects.values_list("status", flat=True)) == {GuaranteeStatus.RELEASED}
    assert guarantees.guarantee_release(section=section) == []  # again: nothing more
    assert LedgerEntry.objects.filter(action="deposits.guarantee.released").count() == 2


def test_one_bidders_guarantee_is_released_on_its_own(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    mine = submit(signer, terms_for(section, bidders[0].organisation, signer))
    theirs = submit(
        signer, terms_for(section, bidders[1].organisation, signer, number="BH2026000002")
    )
    guarantees.guarantee_release(section=section, bidder=bidders[0].organisation)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (GuaranteeStatus.RELEASED, GuaranteeStatus.VALID)


def test_a_larger_guarantee_still_covers_and_the_newest_is_named(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    bidder = bidders[0].organisation
    submit(signer, terms_for(section, bidder, signer))
    with time_machine.travel(dt.timedelta(minutes=1)):
        newer = submit(
            signer, terms_for(section, bidder, signer, number="BH2026000003", amount="1000000")
        )
    assert newer.amount == Decimal("1000000.00")
    assert guarantees.cover(section, bidder) == newer


@pytest.mark.openssl
@requires_openssl
def test_a_guarantee_signed_with_the_openssl_command_is_accepted(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """An issuer needs no code of ours: OpenSSL 3 makes the key and signs the payload."""
    key = tmp_path / "issuer.pem"
    key.write_bytes(openssl("genpkey", "-algorithm", "SM2"))
    issuer = guarantees.issuer_register(
        name="用OpenSSL的银行",
        credit_code=credit_code(),
        kind="bank",
        public_key_pem=openssl("pkey", "-in", key, "-pubout").decode(),
        claim_url="",
        actor=None,
    )
    made = issued(signer, terms_for(section, bidders[0].organisation, signer))  # the document
    payload = json.loads(made.payload)
    payload["issuer"] = issuer.credit_code
    data = canonical(payload)
    (tmp_path / "payload.json").write_bytes(data)
    signature = openssl(
        "pkeyutl", "-sign", "-inkey", key, "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", tmp_path / "payload.json",
    )  # fmt: skip
    guarantee = guarantees.guarantee_submit(
        issuer=issuer, payload=data, signature=signature, document=made.document
    )
    assert guarantee.status == GuaranteeStatus.VALID
