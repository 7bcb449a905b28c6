"""Claims on guarantees (索赔): a staff forfeiture decision [R35, R74] turned into a claim the
platform signs and sends to the issuer, once however often it is sent, and the issuer's
signed answer recorded."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from accounts.models import Person
from deposits import access
from deposits.issuer_gateway import (
    ClaimAnswer,
    IssuerGateway,
    IssuerRefused,
    IssuerUnavailable,
    default_gateway,
)
from deposits.issuers import verify_hex
from deposits.models import Forfeiture, Guarantee, GuaranteeClaim, GuaranteeStatus
from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING
from supervision import ledger

MAX_RETRIES = 10
MAX_REASON_CHARS = 2000


class ClaimNotDelivered(Exception):
    """The issuer did not (yet) take the claim; ``retry`` says whether sending it again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _claimable(guarantee: Guarantee) -> bool:
    # A revocation after the deadline does not end what the guarantee promised for the bid
    # validity (guarantees.guarantee_revoke): it can still be claimed.
    return guarantee.status == GuaranteeStatus.VALID or (
        guarantee.status == GuaranteeStatus.REVOKED and guarantee.revoked_after_deadline
    )


def claimable(section_id: int, bidder_id: int) -> Guarantee | None:
    """The bidder's newest guarantee in the section that a forfeiture may be claimed on."""
    candidates = Guarantee.objects.filter(section_id=section_id, bidder_id=bidder_id).order_by(
        "-received_at", "-pk"
    )
    return next((g for g in candidates if _claimable(g) and not hasattr(g, "claim")), None)


@transaction.atomic
def guarantee_claim(
    *, guarantee: Guarantee, forfeiture: Forfeiture, actor: Person
) -> GuaranteeClaim:
    """Claim the guarantee for a forfeiture staff decided; the claim goes to the issuer after
    commit (``send_guarantee_claim``). The same decision claimed again answers the same claim."""
    locked = (
        Guarantee.objects.select_for_update(of=("self",))
        .select_related("section__project", "issuer", "bidder")
        .get(pk=guarantee.pk)
    )
    if not access.decides_section(actor, locked.section):
        raise DomainError(
            "只有主持该标段的交易中心工作人员可在投标截止后索赔（截止前撤回投标应退还保证金 [R35]）"
            " / Only the hosting centre's staff may claim on a guarantee, after the bid deadline "
            "(a bid withdrawn before it gets its deposit back [R35])",
            code="forbidden",
        )
    if forfeiture.section_id != locked.section_id or forfeiture.bidder_id != locked.bidder_id:
        raise DomainError(
            "该没收决定针对的标段或投标人与保函不符 / The forfeiture is for another section or "
            "bidder than the guarantee: claim the bidder's own guarantee in that section",
            code="invalid",
            field="forfeiture",
        )
    existing = GuaranteeClaim.objects.filter(guarantee=locked).first()
    if existing is not None:
        if existing.forfeiture_id == forfeiture.pk:
            return existing
        raise DomainError(
            "该保函已被索赔 / This guarantee has already been claimed", code="conflict"
        )
    if GuaranteeClaim.objects.filter(forfeiture=forfeiture).exists():
        raise DomainError(
            "该没收决定已对另一份保函索赔 / This forfeiture was already claimed on another guarantee",
            code="conflict",
            field="forfeiture",
        )
    section = locked.section
    now = clock.now()
    if not _claimable(locked):
        raise DomainError(
            f"保函已{locked.get_status_display()}，不能索赔 / The guarantee is {locked.status} "
            "and cannot be claimed",
            code="conflict",
        )
    if now.astimezone(BEIJING).date() > locked.valid_until:
        raise DomainError(
            f"保函已于 {locked.valid_until} 到期，不能再索赔 / The guarantee expired on "
            f"{locked.valid_until}: a claim must reach the issuer within its validity",
            code="conflict",
        )
    amount = Decimal(forfeiture.amount)
    if amount <= 0 or amount > locked.amount:
        raise DomainError(
            f"索赔金额应大于零且不超过担保金额 {locked.amount} 元 / The amount claimed must be "
            f"above zero and at most the guaranteed {locked.amount} yuan",
            code="invalid",
            field="amount",
        )
    claim = GuaranteeClaim.objects.create(
        guarantee=locked, forfeiture=forfeiture, amount=amount, created_at=now
    )
    locked.status = GuaranteeStatus.CLAIMED
    locked.save(update_fields=["status"])
    ledger.append(
        "deposits.guarantee.claimed",
        actor=actor,
        target=locked,
        data={
            "number": locked.number,
            "issuer": locked.issuer.credit_code,
            "section": section.code,
            "bidder": locked.bidder.credit_code,
            "amount": str(amount),
            "claim_id": str(claim.key),
            "forfeiture": forfeiture.pk,
        },
        embargo=section.embargo_scope,
    )
    transaction.on_commit(lambda: send_guarantee_claim.delay(claim.pk))
    return claim


def claim_body(claim: GuaranteeClaim) -> bytes:
    """The claim the platform signs, canonical JSON: the same bytes on every attempt."""
    guarantee = claim.guarantee
    forfeiture = claim.forfeiture
    return canonical(
        {
            "format": protocol.CLAIM_FORMAT,
            "claim_id": str(claim.key),
            "number": guarantee.number,
            "issuer": guarantee.issuer.credit_code,
            "beneficiary": guarantee.beneficiary.credit_code,
            "bidder": guarantee.bidder.credit_code,
            "section": guarantee.section.code,
            "amount": f"{claim.amount:.2f}",
            "currency": "CNY",
            "reason": forfeiture.reason[:MAX_REASON_CHARS],
            "decided_at": forfeiture.decided_at.isoformat(),
            "guarantee_payload_sm3": sm3_hex(protocol.payload_bytes(guarantee.payload)),
        }
    )


def _check_answer(claim: GuaranteeClaim, answer: ClaimAnswer) -> dict[str, Any]:
    issuer = claim.guarantee.issuer
    key = sm2.load_public_key(issuer.public_key_pem.encode("ascii"))
    if not verify_hex(key, answer.body, answer.signature):
        raise ClaimNotDelivered(
            "the issuer's answer is not signed with its registered key", retry=True
        )
    try:
        value = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        value = None
    reference = value.get("reference") if isinstance(value, dict) else None
    if (
        not isinstance(value, dict)
        or value.get("format") != protocol.CLAIM_ANSWER_FORMAT
        or value.get("claim_id") != str(claim.key)
        or not isinstance(reference, str)
        or not 0 < len(reference) <= 64
    ):
        raise ClaimNotDelivered(
            "the issuer's answer is not a claim answer for this claim", retry=True
        )
    return value


def _record_error(claim_pk: int, message: str) -> None:
    GuaranteeClaim.objects.filter(pk=claim_pk).update(last_error=message[:300])


def claim_send(*, claim_id: int, gateway: IssuerGateway | None = None) -> GuaranteeClaim:
    """Send the claim to its issuer and record the issuer's signed answer. Safe to run
    again: an answered claim is not sent again, and an unanswered one goes with the same
    claim id, so the issuer records it once."""
    claim = GuaranteeClaim.objects.select_related(
        "guarantee__issuer",
        "guarantee__section",
        "guarantee__bidder",
        "guarantee__beneficiary",
        "forfeiture",
    ).get(pk=claim_id)
    if claim.answered_at is not None:
        return claim
    body = claim_body(claim)
    # Counted before the call: a crash after it still shows an attempt was made.
    GuaranteeClaim.objects.filter(pk=claim.pk).update(
        attempts=F("attempts") + 1, sent_at=Coalesce(F("sent_at"), clock.now())
    )
    try:
        answer = (gateway or default_gateway()).send_claim(
            issuer=claim.guarantee.issuer,
            claim_id=str(claim.key),
            body=body,
            signature=signing.platform_sign(body),
            key_fingerprint=signing.platform_public_key().fingerprint(),
        )
        value = _check_answer(claim, answer)
    except IssuerUnavailable as exc:
        _record_error(claim.pk, f"issuer unavailable: {exc}")
        raise ClaimNotDelivered(str(exc), retry=True) from exc
    except IssuerRefused as exc:
        _record_error(claim.pk, f"issuer refused: {exc}")
        raise ClaimNotDelivered(str(exc), retry=False) from exc
    except ClaimNotDelivered as exc:
        _record_error(claim.pk, str(exc))
        raise
    with transaction.atomic():
        locked = (
            GuaranteeClaim.objects.select_for_update(of=("self",))
            .select_related("guarantee__section")
            .get(pk=claim.pk)
        )
        if locked.answered_at is not None:
            return locked
        locked.answered_at = clock.now()
        locked.issuer_reference = value["reference"]
        locked.answer = value
        locked.answer_signature = answer.signature
        locked.last_error = ""
        locked.save(
            update_fields=[
                "answered_at",
                "issuer_reference",
                "answer",
                "answer_signature",
                "last_error",
            ]
        )
        ledger.append(
            "deposits.guarantee.claim_answered",
            actor=ledger.SYSTEM,
            target=locked.guarantee,
            data={
                "number": locked.guarantee.number,
                "claim_id": str(locked.key),
                "issuer_reference": locked.issuer_reference,
                "answer_sm3": sm3_hex(answer.body),
            },
            embargo=locked.guarantee.section.embargo_scope,
        )
    return locked


@shared_task(name="deposits.tasks.send_guarantee_claim", bind=True, max_retries=MAX_RETRIES)
def send_guarantee_claim(self: Any, claim_id: int) -> str:
    """Thin: ``claim_send``, retried with growing pauses while the issuer does not answer."""
    try:
        return claim_send(claim_id=claim_id).issuer_reference
    except ClaimNotDelivered as exc:
        if not exc.retry:
            return ""  # refused: last_error tells staff why; nothing is retried blindly
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries)) from exc
