"""Claims on guarantees: a staff decision after the deadline, sent to the issuer once however
often it is sent, the issuer's signed answer recorded."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from accounts.models import Person, Role
from deposits import decisions, guarantee_claims, guarantees, positions
from deposits.guarantee_claims import ClaimNotDelivered
from deposits.issuer_gateway import ClaimAnswer, IssuerUnavailable
from deposits.models import Forfeiture, Guarantee, GuaranteeClaim, GuaranteeStatus, Issuer
from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from simulators.issuer import client
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.deposits.guarantee_world import (
    Signer,
    signed_request,
    signer,  # noqa: F401
    submit,
    terms_for,
)
from tests.factories import PersonFactory
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.tools import nothing_changes
from tests.trading.conftest import (  # noqa: F401
    Holders,
    draft,
    holders,
    project,
    published,
    tenderee,
)
from trading.models import Section
from trading.signals import bid_withdrawn

pytestmark = pytest.mark.django_db


class FakeIssuer:
    """An issuer gateway in the test process: records claims by claim id, as the simulator
    does, and may lose its first answers on the way back."""

    def __init__(self, signer: Signer, *, lose_answers: int = 0, sign_with: Any = None) -> None:  # noqa: F811
        self.signer = signer
        self.lose_answers = lose_answers
        self.sign_with = sign_with or signer.key
        self.claims: dict[str, dict[str, Any]] = {}
        self.deliveries = 0

    def send_claim(
        self, *, issuer: Issuer, claim_id: str, body: bytes, signature: bytes, key_fingerprint: str
    ) -> ClaimAnswer:
        assert signing.platform_public_key().verify(body, signature)
        assert key_fingerprint == signing.platform_public_key().fingerprint()
        self.deliveries += 1
        record = self.claims.setdefault(
            claim_id, {"reference": f"REF-{len(self.claims) + 1}", "body": json.loads(body)}
        )
        if self.lose_answers:
            self.lose_answers -= 1
            raise IssuerUnavailable("read timed out")
        answer = canonical(
            {
                "format": protocol.CLAIM_ANSWER_FORMAT,
                "claim_id": claim_id,
                "number": record["body"]["number"],
                "reference": record["reference"],
                "status": "accepted",
            }
        )
        return ClaimAnswer(body=answer, signature=self.sign_with.sign(answer).hex())


@pytest.fixture
def host(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(organisation=holders.centre, role=Role.STAFF)


@pytest.fixture
def guarantee(section: Section, bidders: list[Bidder], signer: Signer) -> Guarantee:  # noqa: F811
    return submit(signer, terms_for(section, bidders[0].organisation, signer))


@pytest.fixture
def after_deadline(section: Section) -> Iterator[None]:  # noqa: F811
    with time_machine.travel(section.bid_deadline + dt.timedelta(days=1), tick=False):
        yield


def forfeiture(guarantee: Guarantee, host: Person, amount: str = "800000.00") -> Forfeiture:
    return Forfeiture.objects.create(
        section=guarantee.section,
        bidder=guarantee.bidder,
        amount=Decimal(amount),
        reason="中标后无正当理由拒不签订合同 [R74]",
        decided_at=clock.now(),
        decided_by=host,
    )


def test_a_claim_goes_to_the_issuer_after_commit_and_its_signed_answer_is_recorded(
    guarantee: Guarantee,
    host: Person,
    signer: Signer,  # noqa: F811
    after_deadline: None,
    eager_celery: None,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    issuer = FakeIssuer(signer)
    monkeypatch.setattr(guarantee_claims, "default_gateway", lambda: issuer)
    with django_capture_on_commit_callbacks(execute=True):
        claim = guarantees.guarantee_claim(
            guarantee=guarantee, forfeiture=forfeiture(guarantee, host), actor=host
        )
    claim.refresh_from_db()
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.CLAIMED
    assert claim.issuer_reference == "REF-1" and claim.answered_at is not None
    assert claim.attempts == 1 and claim.last_error == ""
    sent = issuer.claims[str(claim.key)]["body"]
    assert (sent["number"], sent["amount"], sent["claim_id"]) == (
        guarantee.number,
        "800000.00",
        str(claim.key),
    )
    assert signer.key.public_key().verify(
        canonical(claim.answer), bytes.fromhex(claim.answer_signature)
    )
    actions = set(LedgerEntry.objects.values_list("action", flat=True))
    assert {"deposits.guarantee.claimed", "deposits.guarantee.claim_answered"} <= actions


def test_a_claim_sent_again_after_a_lost_answer_is_one_claim_at_the_issuer(
    guarantee: Guarantee,
    host: Person,
    signer: Signer,  # noqa: F811
    after_deadline: None,
) -> None:
    issuer = FakeIssuer(signer, lose_answers=1)
    claim = guarantees.guarantee_claim(
        guarantee=guarantee, forfeiture=forfeiture(guarantee, host), actor=host
    )
    with pytest.raises(ClaimNotDelivered) as lost:
        guarantees.claim_send(claim_id=claim.pk, gateway=issuer)
    assert lost.value.retry
    claim.refresh_from_db()
    assert claim.answered_at is None and "timed out" in claim.last_error
    answered = guarantees.claim_send(claim_id=claim.pk, gateway=issuer)
    guarantees.claim_send(claim_id=claim.pk, gateway=issuer)  # answered: not sent again
    assert issuer.deliveries == 2 and list(issuer.claims) == [str(claim.key)]
    assert answered.issuer_reference == "REF-1" and answered.attempts == 2


def test_an_answer_not_signed_by_the_issuer_is_not_taken(
    guarantee: Guarantee,
    host: Person,
    signer: Signer,  # noqa: F811
    after_deadline: None,
) -> None:
    claim = guarantees.guarantee_claim(
        guarantee=guarantee, forfeiture=forfeiture(guarantee, host), actor=host
    )
    impostor = FakeIssuer(signer, sign_with=sm2.generate_private_key())
    with pytest.raises(ClaimNotDelivered):
        guarantees.claim_send(claim_id=claim.pk, gateway=impostor)
    claim.refresh_from_db()
    assert claim.answered_at is None and claim.issuer_reference == ""
    assert "not signed" in claim.last_error


def test_the_same_decision_claimed_twice_is_one_claim(
    guarantee: Guarantee, host: Person, after_deadline: None
) -> None:
    decision = forfeiture(guarantee, host)
    first = guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=host)
    again = guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=host)
    assert first.pk == again.pk and GuaranteeClaim.objects.count() == 1
    with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as other:
        guarantees.guarantee_claim(
            guarantee=guarantee, forfeiture=forfeiture(guarantee, host), actor=host
        )
    assert other.value.code == "conflict"


def test_only_the_hosting_centres_staff_claim_and_only_after_the_deadline(
    guarantee: Guarantee,
    host: Person,
    bidders: list[Bidder],  # noqa: F811
    section: Section,  # noqa: F811
) -> None:
    decision = forfeiture(guarantee, host)
    with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as early:
        guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=host)
    with time_machine.travel(section.bid_deadline + dt.timedelta(days=1), tick=False):
        with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as bidder:
            guarantees.guarantee_claim(
                guarantee=guarantee, forfeiture=decision, actor=bidders[1].person
            )
        other_centre = PersonFactory.create(role=Role.STAFF)
        with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as stranger:
            guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=other_centre)
    assert {early.value.code, bidder.value.code, stranger.value.code} == {"forbidden"}
    assert "[R35]" in early.value.message


def test_a_forfeiture_of_another_bidder_or_above_the_amount_cannot_claim(
    guarantee: Guarantee,
    host: Person,
    bidders: list[Bidder],  # noqa: F811
    after_deadline: None,
) -> None:
    someone_else = forfeiture(guarantee, host)
    Forfeiture.objects.filter(pk=someone_else.pk).update(bidder=bidders[1].organisation)
    someone_else.refresh_from_db()
    with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as wrong_bidder:
        guarantees.guarantee_claim(guarantee=guarantee, forfeiture=someone_else, actor=host)
    with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as too_much:
        guarantees.guarantee_claim(
            guarantee=guarantee, forfeiture=forfeiture(guarantee, host, "900000.00"), actor=host
        )
    assert (wrong_bidder.value.field, too_much.value.field) == ("forfeiture", "amount")


def test_a_guarantee_revoked_before_the_deadline_cannot_be_claimed_one_revoked_after_can(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
    host: Person,
) -> None:
    early = submit(signer, terms_for(section, bidders[0].organisation, signer))
    late = submit(
        signer, terms_for(section, bidders[1].organisation, signer, number="BH2026000009")
    )

    def revoke(number: str) -> None:
        prepared = client.revocation(key=signer.key, issuer=signer.code, number=number, reason="x")
        guarantees.guarantee_revoke(
            issuer=signer.issuer, number=number, request=signed_request(prepared, prepared.body)
        )

    revoke(early.number)
    with time_machine.travel(section.bid_deadline + dt.timedelta(days=1), tick=False):
        revoke(late.number)
        early.refresh_from_db()
        late.refresh_from_db()
        with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as refused:
            guarantees.guarantee_claim(
                guarantee=early, forfeiture=forfeiture(early, host), actor=host
            )
        claim = guarantees.guarantee_claim(
            guarantee=late, forfeiture=forfeiture(late, host), actor=host
        )
    assert refused.value.code == "conflict"
    assert claim.guarantee.status == GuaranteeStatus.CLAIMED


def test_an_expired_guarantee_cannot_be_claimed(guarantee: Guarantee, host: Person) -> None:
    decision = forfeiture(guarantee, host)
    with time_machine.travel(  # noqa: SIM117
        dt.datetime.combine(guarantee.valid_until, dt.time(), dt.UTC) + dt.timedelta(days=2),
        tick=False,
    ):
        with nothing_changes(GuaranteeClaim), pytest.raises(DomainError) as expired:
            guarantees.guarantee_claim(guarantee=guarantee, forfeiture=decision, actor=host)
    assert str(guarantee.valid_until) in expired.value.message


def test_forfeiting_a_bidder_whose_deposit_is_a_guarantee_claims_the_guarantee(
    guarantee: Guarantee, host: Person, after_deadline: None
) -> None:
    decided = decisions.forfeit(
        section=guarantee.section,
        bidder=guarantee.bidder,
        reason="中标后无正当理由拒不签订合同 [R74]",
        actor=host,
    )

    claim = GuaranteeClaim.objects.get(guarantee=guarantee)
    assert claim.forfeiture == decided and claim.amount == guarantee.section.bid_deposit
    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.CLAIMED
    assert positions.of(guarantee.section, guarantee.bidder).state == positions.State.FORFEITED


def test_a_bidder_with_neither_cash_nor_guarantee_has_nothing_to_forfeit(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    host: Person,
    after_deadline: None,
) -> None:
    with nothing_changes(Forfeiture), pytest.raises(DomainError, match="neither a cash"):
        decisions.forfeit(
            section=section,
            bidder=bidders[1].organisation,
            reason="投标截止后撤销投标文件 [R35]",
            actor=host,
        )


def test_a_withdrawn_bid_releases_the_bidders_guarantee_and_its_cover_ends(
    guarantee: Guarantee,
) -> None:
    assert positions.of(guarantee.section, guarantee.bidder).state == positions.State.GUARANTEED

    bid_withdrawn.send(sender=Section, section=guarantee.section, organisation=guarantee.bidder)

    guarantee.refresh_from_db()
    assert guarantee.status == GuaranteeStatus.RELEASED
    assert positions.of(guarantee.section, guarantee.bidder).state == positions.State.MISSING


def test_a_guarantee_too_short_for_the_bid_validity_is_no_cover(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    signer: Signer,  # noqa: F811
) -> None:
    short = submit(signer, terms_for(section, bidders[0].organisation, signer))
    # The deadline moved later (a clarification): the guarantee no longer covers the validity.
    Section.objects.filter(pk=section.pk).update(
        bid_deadline=section.bid_deadline + dt.timedelta(days=400)
    )
    section.refresh_from_db()

    assert guarantees.cover(section, short.bidder) is None
    assert positions.of(section, short.bidder).state == positions.State.MISSING
