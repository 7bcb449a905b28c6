"""Electronic guarantees (电子保函) accepted in place of a cash deposit: submission by the
issuer, revocation, release, the cover a bidder has, and public verification.

Before a section's bid deadline nobody but the bidder's own organisation (and the issuer)
may learn that a guarantee exists [E21]: ledger entries carry the section's embargo, and the
public verification answers only a caller holding both the number and the code printed on
the guarantee. Claims (forfeiture) are in ``deposits.guarantee_claims``. docs/guarantees.md
describes the issuer interface.
"""

from __future__ import annotations

import hmac
import json
import secrets
from io import BytesIO

from django.core.files.base import File
from django.db import transaction

from accounts.models import Organisation, Person
from deposits import guarantee_terms as terms
from deposits.guarantee_claims import claim_send, guarantee_claim
from deposits.issuers import (
    SignedRequest,
    issuer_actor,
    issuer_authenticate,
    issuer_deactivate,
    issuer_register,
    verify_hex,
)
from deposits.models import Alert, AlertKind, Guarantee, GuaranteeStatus, Issuer
from ggzy import clock, files
from ggzy.errors import DomainError
from ggzy_core import guarantee as protocol
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from trading.models import Section, SectionStatus

__all__ = [
    "SignedRequest",
    "claim_send",
    "cover",
    "guarantee_accept",
    "guarantee_claim",
    "guarantee_release",
    "guarantee_revoke",
    "guarantee_submit",
    "issuer_authenticate",
    "issuer_deactivate",
    "issuer_register",
    "verify_public",
]

# 32 characters without 0/O/1/I: read off paper and typed without confusion. 12 of them:
# 60 bits, against guessing at the verification page's rate limit.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
MAX_REASON_CHARS = 500
MAX_REVOCATION_BYTES = 4096
# Where a section ends and its guarantees go back to their issuers [R31, R57].
TERMINAL = (
    SectionStatus.CANCELLED,
    SectionStatus.FAILED,
    SectionStatus.CONTRACTED,
    SectionStatus.ARCHIVED,
)


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """As printed: ``ABCD-EFGH-JKLM``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def guarantee_submit(
    *, issuer: Issuer, payload: bytes, signature: bytes, document: bytes
) -> Guarantee:
    """Accept a guarantee the issuer signed (see ``guarantee_accept``)."""
    guarantee, _created = guarantee_accept(
        issuer=issuer, payload=payload, signature=signature, document=document
    )
    return guarantee


def guarantee_accept(
    *, issuer: Issuer, payload: bytes, signature: bytes, document: bytes
) -> tuple[Guarantee, bool]:
    """Verify the issuer's SM2 signature over the canonical payload and every term against
    the section; store the guarantee and its document. Idempotent: the same number with the
    same payload again answers the guarantee already accepted (``created`` False), even after
    the deadline, so an issuer that lost the answer can retry; another payload under a number
    already used is refused."""
    terms.check_sizes(payload, document)
    key = sm2.load_public_key(issuer.public_key_pem.encode("ascii"))
    if len(signature) > 80 or not key.verify(payload, signature):
        raise terms.refuse(
            "保函签名无效：须用登记的 SM2 私钥对保函数据字节签名（ID 1234567812345678，DER）",
            "The guarantee signature does not verify with your registered key: sign the "
            "payload's exact bytes with SM2 (ID 1234567812345678), DER",
            field="signature",
            code="bad_signature",
        )
    value = terms.read_payload(payload)
    document_sm3 = sm3_hex(document)
    with files.atomic():
        locked = Issuer.objects.select_for_update().get(pk=issuer.pk)
        if not locked.is_active:
            raise terms.refuse(
                "该保函出具机构已停用",
                "This issuer is deactivated and may not submit guarantees",
                field="issuer",
                code="issuer_inactive",
            )
        existing = Guarantee.objects.filter(issuer=locked, number=value["number"]).first()
        if existing is not None:
            if existing.payload == value:
                return existing, False
            raise terms.refuse(
                "该保函编号已用于另一份保函，内容不同，不能覆盖；请使用新编号",
                "This number was already used for a guarantee with other terms, which cannot "
                "be replaced: issue the new guarantee under a new number",
                field="number",
                code="duplicate",
            )
        accepted = terms.check_terms(
            issuer=locked, payload=value, document=document, sm3=document_sm3
        )
        section = accepted.section
        guarantee = Guarantee(
            number=value["number"],
            verification_code=new_verification_code(),
            issuer=locked,
            section=section,
            bidder=accepted.bidder,
            beneficiary=accepted.beneficiary,
            amount=accepted.amount,
            valid_from=accepted.valid_from,
            valid_until=accepted.valid_until,
            document_sm3=document_sm3,
            payload=value,
            signature=signature,
            received_at=clock.now(),
        )
        files.save_field(guarantee.document, f"{value['number']}.pdf", File(BytesIO(document)))
        guarantee.save()
        ledger.append(
            "deposits.guarantee.received",
            actor=issuer_actor(locked),
            target=guarantee,
            data={
                "number": guarantee.number,
                "issuer": locked.credit_code,
                "section": section.code,
                "bidder": accepted.bidder.credit_code,
                "amount": str(accepted.amount),
                "valid_from": accepted.valid_from.isoformat(),
                "valid_until": accepted.valid_until.isoformat(),
                "document_sm3": document_sm3,
                "payload_sm3": sm3_hex(payload),
            },
            # Before the deadline only the bidder may learn it holds a guarantee [E21].
            embargo=section.embargo_scope,
        )
    return guarantee, True


def _revocation_body(request: SignedRequest, number: str) -> str:
    if len(request.content) > MAX_REVOCATION_BYTES:
        raise terms.refuse(
            f"撤销请求过大（上限 {MAX_REVOCATION_BYTES} 字节）",
            f"The revocation request is too large (limit {MAX_REVOCATION_BYTES} bytes)",
            field="body",
            code="too_large",
        )
    try:
        text = request.content.decode("utf-8")
        body = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        body = None
    if (
        not isinstance(body, dict)
        or body.get("format") != protocol.REVOCATION_FORMAT
        or body.get("number") != number
    ):
        raise terms.refuse(
            "撤销请求应为 JSON：format、number（与地址中的编号一致）、reason",
            f'The revocation must be JSON {{"format": "{protocol.REVOCATION_FORMAT}", "number": '
            'the number in the path, "reason": why}',
            field="body",
        )
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise terms.refuse(
            f"请说明撤销理由（不超过 {MAX_REASON_CHARS} 字）",
            f"Give the reason for the revocation (at most {MAX_REASON_CHARS} characters)",
            field="reason",
        )
    return text


def guarantee_revoke(*, issuer: Issuer, number: str, request: SignedRequest) -> Guarantee:
    """The issuer revokes one of its guarantees by a signed request, kept as evidence.

    Before the deadline the bidder then has no deposit cover from it. After the deadline
    the guarantee should have been irrevocable for the bid validity: the revocation is
    recorded, flagged for staff (it may lead to forfeiture [R35]) and the guarantee may
    still be claimed. Revoking a revoked guarantee again answers it unchanged."""
    if not issuer.is_active:
        raise terms.refuse(
            "该保函出具机构已停用",
            "This issuer is deactivated and may not revoke guarantees; contact the trading centre",
            field="issuer",
            code="issuer_inactive",
        )
    key = sm2.load_public_key(issuer.public_key_pem.encode("ascii"))
    if request.issuer != issuer.credit_code or not verify_hex(
        key, request.message(), request.signature
    ):
        raise terms.refuse(
            "撤销请求签名无效",
            "The revocation request's signature does not verify with your registered key",
            field=protocol.HEADER_SIGNATURE,
            code="bad_request_signature",
        )
    text = _revocation_body(request, number)
    with transaction.atomic():
        guarantee = (
            Guarantee.objects.select_for_update(of=("self",))
            .select_related("section")
            .filter(issuer=issuer, number=number)
            .first()
        )
        if guarantee is None:
            raise DomainError(
                "没有该编号的保函 / You issued no guarantee with this number",
                code="not_found",
                field="number",
            )
        if guarantee.status == GuaranteeStatus.REVOKED:
            return guarantee
        if guarantee.status != GuaranteeStatus.VALID:
            raise DomainError(
                f"保函已{guarantee.get_status_display()}，不能撤销 / The guarantee is "
                f"{guarantee.status} and can no longer be revoked",
                code="conflict",
                field="number",
            )
        section = guarantee.section
        now = clock.now()
        late = now >= section.bid_deadline
        guarantee.status = GuaranteeStatus.REVOKED
        guarantee.revoked_at = now
        guarantee.revoked_after_deadline = late
        guarantee.revocation = {
            "method": request.method,
            "path": request.path,
            "timestamp": request.timestamp,
            "nonce": request.nonce,
            "body": text,
            "signature": request.signature,
        }
        guarantee.save(
            update_fields=["status", "revoked_at", "revoked_after_deadline", "revocation"]
        )
        ledger.append(
            "deposits.guarantee.revoked",
            actor=issuer_actor(issuer),
            target=guarantee,
            data={
                "number": number,
                "section": section.code,
                "bidder": guarantee.bidder.credit_code,
                "after_deadline": late,
                "body_sm3": sm3_hex(request.content),
            },
            embargo=section.embargo_scope,
        )
        if late:
            _flag_late_revocation(guarantee, section)
    return guarantee


def _flag_late_revocation(guarantee: Guarantee, section: Section) -> None:
    Alert.objects.get_or_create(
        key=f"guarantee_revoked:{guarantee.pk}",
        defaults={
            "kind": AlertKind.GUARANTEE_REVOKED,
            "section": section,
            "message": (
                f"保函 {guarantee.number} 在投标截止后被出具机构撤销，投标人 "
                f"{guarantee.bidder.name} 失去保证金担保，请审查是否没收 [R35] / Guarantee "
                f"{guarantee.number} was revoked by its issuer after the bid deadline: the "
                "bidder has no deposit cover; review whether to forfeit [R35]"
            ),
            "evidence": {
                "number": guarantee.number,
                "issuer": guarantee.issuer.credit_code,
                "bidder": guarantee.bidder.credit_code,
                "revoked_at": clock.now().isoformat(),
            },
            "raised_at": clock.now(),
        },
    )


def guarantee_release(
    *, section: Section, bidder: Organisation | None = None, actor: Person | None = None
) -> list[Guarantee]:
    """Release the valid guarantees of a section that ended (terminated, failed, contract
    signed [R31, R57]), or of one bidder (its bid withdrawn before the deadline [R35]: the
    caller decides that): VALID → RELEASED. Idempotent: a released guarantee is skipped."""
    with transaction.atomic():
        locked = Section.objects.select_for_update().get(pk=section.pk)
        if bidder is None and locked.status not in TERMINAL:
            raise DomainError(
                "标段尚未终止或签订合同，保函不能整体释放 / The section has not ended (terminated, "
                "failed or contract signed): its guarantees cannot all be released yet",
                code="conflict",
            )
        valid = Guarantee.objects.select_for_update().filter(
            section=locked, status=GuaranteeStatus.VALID
        )
        if bidder is not None:
            valid = valid.filter(bidder=bidder)
        released = []
        now = clock.now()
        for guarantee in valid.select_related("bidder", "issuer"):
            guarantee.status = GuaranteeStatus.RELEASED
            guarantee.released_at = now
            guarantee.save(update_fields=["status", "released_at"])
            ledger.append(
                "deposits.guarantee.released",
                actor=actor,
                target=guarantee,
                data={
                    "number": guarantee.number,
                    "issuer": guarantee.issuer.credit_code,
                    "section": locked.code,
                    "bidder": guarantee.bidder.credit_code,
                    "section_status": locked.status,
                },
                embargo=locked.embargo_scope,
            )
            released.append(guarantee)
    return released


def cover(section: Section, bidder: Organisation) -> Guarantee | None:
    """The valid guarantee that covers the bidder's deposit in the section now: amount at
    least the deposit, in force at the deadline and until the bid validity ends (both read
    against the current deadline, which a clarification may have moved). The newest of
    several; the others stay valid (a bidder replaces a guarantee by getting a new one)."""
    return (
        Guarantee.objects.filter(terms.covering(section), bidder=bidder)
        .order_by("-received_at", "-pk")
        .first()
    )


def normalise_code(code: str) -> str:
    return "".join(char for char in code.upper() if char not in "- ")


def verify_public(*, number: str, code: str) -> Guarantee | None:
    """The guarantee with this number and verification code, or None — the same None for an
    unknown number and for a wrong code, so the page cannot be used to find numbers."""
    clean = normalise_code(code[:64])
    candidates = (
        list(
            Guarantee.objects.filter(number=number.strip()).select_related(
                "issuer", "section", "bidder", "beneficiary"
            )[:10]
        )
        if 0 < len(number) <= 64
        else []
    )
    found = None
    for guarantee in candidates:
        if hmac.compare_digest(guarantee.verification_code.encode(), clean.encode()):
            found = guarantee
    if not candidates:
        # The same work as for a number that exists, so timing tells nothing either.
        hmac.compare_digest(new_verification_code().encode(), clean.encode())
    return found
