"""Guarantee issuers (banks, insurers, guarantee companies): registration by centre staff or
operations, deactivation, and the authentication of every request an issuer sends.

An issuer request is authenticated by its SM2 signature over
``ggzy_core.guarantee.request_message`` (method, path, timestamp, nonce, SM3 of its content)
with the issuer's registered key. The timestamp must lie within
``REQUEST_WINDOW_SECONDS`` of the platform's clock and the nonce is accepted once: a request
captured and sent again is refused (docs/guarantees.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from accounts.credit_code import normalise, validate_credit_code
from accounts.models import Person
from deposits import access
from deposits.models import Issuer, IssuerKind, IssuerNonce
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import guarantee as protocol
from ggzy_core.gm import sm2
from ggzy_core.gm.errors import GMError
from supervision import ledger

MAX_KEY_PEM_CHARS = 4096  # an SPKI PEM is under 200 characters; a certificate a few KB
MAX_SIGNATURE_BYTES = 80  # DER SEQUENCE of two 32-byte integers: at most 72 bytes


class IssuerAuthenticationError(DomainError):
    """A request that does not prove which registered issuer sent it (HTTP 401), or one from
    an issuer that may no longer act (403)."""

    def __init__(self, message: str, *, code: str, field: str | None = None, status: int = 401):
        super().__init__(message, code=code, field=field)
        self.status = status


@dataclass(frozen=True)
class SignedRequest:
    """An issuer request as received: its authentication headers and what they sign."""

    issuer: str  # Ggzy-Issuer: the issuer's credit code
    method: str
    path: str
    timestamp: str  # Ggzy-Timestamp: Unix seconds
    nonce: str  # Ggzy-Nonce
    signature: str  # Ggzy-Signature: hex DER
    content: bytes  # the payload's bytes (submission) or the body (other requests)

    def message(self) -> bytes:
        return protocol.request_message(
            method=self.method,
            path=self.path,
            timestamp=self.timestamp,
            nonce=self.nonce,
            content=self.content,
        )


def issuer_actor(issuer: Issuer) -> ledger.Actor:
    """Who the ledger says acted when an issuer's signed request changed something."""
    return ledger.Actor(
        name=f"issuer:{issuer.credit_code}", organisation=issuer.credit_code, role="issuer"
    )


def _require_staff(actor: Person | None) -> None:
    # None: operations at the command line (the ledger records "system").
    if actor is not None and not access.decides_money(actor):
        raise DomainError(
            "只有交易中心工作人员可以管理保函出具机构 / Only centre staff manage guarantee issuers",
            code="forbidden",
        )


def load_issuer_key(public_key_pem: str) -> sm2.SM2PublicKey:
    """An SM2 public key from SubjectPublicKeyInfo PEM (or a certificate's), or a refusal."""
    if len(public_key_pem) > MAX_KEY_PEM_CHARS:
        raise DomainError(
            f"公钥过长（上限 {MAX_KEY_PEM_CHARS} 字符），请只提供 SM2 公钥 PEM / The public key is "
            f"too long (limit {MAX_KEY_PEM_CHARS} characters): give only the SM2 public key PEM",
            code="too_long",
            field="public_key_pem",
        )
    try:
        return sm2.load_public_key(public_key_pem.encode("utf-8"))
    except (GMError, ValueError) as exc:
        raise DomainError(
            f"公钥无效，应为 SM2 SubjectPublicKeyInfo PEM / The public key was refused, an SM2 "
            f"SubjectPublicKeyInfo PEM (-----BEGIN PUBLIC KEY-----) is needed: {exc}",
            code="invalid_key",
            field="public_key_pem",
        ) from exc


def _check_claim_url(claim_url: str) -> str:
    url = claim_url.strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise DomainError(
            "理赔地址无效，应为 http(s) 地址 / The claim URL is invalid: give an http(s) URL "
            "where the issuer receives claims",
            code="invalid",
            field="claim_url",
        ) from exc
    return url


@transaction.atomic
def issuer_register(
    *,
    name: str,
    credit_code: str,
    kind: str,
    public_key_pem: str,
    claim_url: str,
    actor: Person | None,
) -> Issuer:
    """Register an issuer and the SM2 key its guarantees and requests are signed with."""
    _require_staff(actor)
    code = normalise(credit_code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid", field="credit_code") from exc
    if kind not in IssuerKind.values:
        raise DomainError(
            f"未知的机构类型：{kind}，应为 {'/'.join(IssuerKind.values)} / Unknown issuer kind "
            f"{kind!r}: use one of {', '.join(IssuerKind.values)}",
            code="invalid",
            field="kind",
        )
    if not name.strip() or len(name.strip()) > 200:
        raise DomainError(
            "名称不能为空且不超过200字 / The name is required, at most 200 characters",
            code="invalid",
            field="name",
        )
    key = load_issuer_key(public_key_pem)
    url = _check_claim_url(claim_url)
    if Issuer.objects.filter(credit_code=code).exists():
        raise DomainError(
            "该出具机构已登记 / This issuer is already registered",
            code="duplicate",
            field="credit_code",
        )
    if Issuer.objects.filter(key_fingerprint=key.fingerprint()).exists():
        raise DomainError(
            "该公钥已被另一出具机构登记，每个机构须用自己的密钥 / This key is registered to another "
            "issuer: each issuer signs with its own key",
            code="duplicate",
            field="public_key_pem",
        )
    try:
        with transaction.atomic():
            issuer = Issuer.objects.create(
                name=name.strip(),
                credit_code=code,
                kind=kind,
                public_key_pem=key.to_pem().decode("ascii"),
                key_fingerprint=key.fingerprint(),
                claim_url=url,
                registered_at=clock.now(),
            )
    except IntegrityError as exc:  # registered concurrently
        raise DomainError(
            "该出具机构已登记 / This issuer is already registered",
            code="duplicate",
            field="credit_code",
        ) from exc
    ledger.append(
        "deposits.issuer.registered",
        actor=actor,
        target=issuer,
        data={
            "name": issuer.name,
            "credit_code": code,
            "kind": kind,
            "fingerprint": issuer.key_fingerprint,
            "claim_url": url,
        },
    )
    return issuer


@transaction.atomic
def issuer_deactivate(*, issuer: Issuer, actor: Person | None, reason: str) -> Issuer:
    """The issuer may submit or revoke no more; its guarantees stay as they are (a claim on
    one still goes to it)."""
    _require_staff(actor)
    if not reason.strip():
        raise DomainError(
            "请说明停用理由 / Give the reason for deactivating the issuer",
            code="invalid",
            field="reason",
        )
    locked = Issuer.objects.select_for_update().get(pk=issuer.pk)
    if not locked.is_active:
        raise DomainError("该出具机构已停用 / This issuer is already deactivated", code="conflict")
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    ledger.append(
        "deposits.issuer.deactivated",
        actor=actor,
        target=locked,
        data={"credit_code": locked.credit_code, "reason": reason.strip()[:500]},
    )
    return locked


def _refuse(
    zh: str, en: str, *, code: str, field: str, status: int = 401
) -> IssuerAuthenticationError:
    return IssuerAuthenticationError(f"{zh} / {en}", code=code, field=field, status=status)


def require_headers(request: SignedRequest) -> None:
    """All four authentication headers, before anything else about the request is read."""
    if not all((request.issuer, request.timestamp, request.nonce, request.signature)):
        raise _refuse(
            "缺少出具机构认证头",
            f"Issuer requests must carry {protocol.HEADER_ISSUER}, {protocol.HEADER_TIMESTAMP}, "
            f"{protocol.HEADER_NONCE} and {protocol.HEADER_SIGNATURE} (see docs/guarantees.md)",
            code="not_authenticated",
            field=protocol.HEADER_ISSUER,
        )


def issuer_authenticate(*, request: SignedRequest) -> Issuer:
    """The registered, active issuer that signed ``request``; its nonce is spent (committed
    on its own, so a request refused later still cannot be sent again)."""
    require_headers(request)
    issuer = Issuer.objects.filter(credit_code=request.issuer.strip().upper()[:18]).first()
    if issuer is None:
        raise _refuse(
            "未登记的保函出具机构",
            "Unknown issuer: this credit code is not a registered guarantee issuer; ask the "
            "trading centre to register you with your SM2 public key",
            code="unknown_issuer",
            field=protocol.HEADER_ISSUER,
        )
    if not issuer.is_active:
        raise _refuse(
            "该保函出具机构已停用",
            "This issuer is deactivated and may not submit or revoke guarantees; contact the "
            "trading centre",
            code="issuer_inactive",
            field=protocol.HEADER_ISSUER,
            status=403,
        )
    _check_timestamp(request.timestamp)
    if not protocol.NONCE_PATTERN.match(request.nonce):
        raise _refuse(
            "随机数格式错误",
            "The nonce must be 16 to 64 characters from A-Z a-z 0-9 _ -, new for every request",
            code="invalid_nonce",
            field=protocol.HEADER_NONCE,
        )
    key = sm2.load_public_key(issuer.public_key_pem.encode("ascii"))
    if not verify_hex(key, request.message(), request.signature):
        raise _refuse(
            "请求签名无效",
            "The request signature does not verify with your registered key: sign the request "
            "message (docs/guarantees.md) with SM2, ID 1234567812345678, DER, hex",
            code="bad_request_signature",
            field=protocol.HEADER_SIGNATURE,
        )
    _spend_nonce(issuer, request.nonce)
    return issuer


def _check_timestamp(value: str) -> None:
    now = clock.now()
    try:
        if not (value.isascii() and value.isdigit() and len(value) <= 12):
            raise ValueError(value)
        stamp = dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise _refuse(
            "时间戳格式错误",
            "The timestamp must be Unix seconds (digits only)",
            code="invalid_timestamp",
            field=protocol.HEADER_TIMESTAMP,
        ) from None
    if abs((now - stamp).total_seconds()) > protocol.REQUEST_WINDOW_SECONDS:
        raise _refuse(
            "请求时间戳超出允许范围，请校准时钟后用新的随机数重发",
            f"The request timestamp is more than {protocol.REQUEST_WINDOW_SECONDS} seconds from "
            f"the platform's time ({int(now.timestamp())}): set your clock (GET /api/time) and "
            "send it again with a new nonce",
            code="stale_request",
            field=protocol.HEADER_TIMESTAMP,
        )


def _spend_nonce(issuer: Issuer, nonce: str) -> None:
    now = clock.now()
    forget_before = now - dt.timedelta(seconds=3 * protocol.REQUEST_WINDOW_SECONDS)
    try:
        with transaction.atomic():
            # Older nonces can never be accepted again: their timestamps are out of the window.
            IssuerNonce.objects.filter(seen_at__lt=forget_before).delete()
            IssuerNonce.objects.create(issuer=issuer, nonce=nonce, seen_at=now)
    except IntegrityError:
        raise _refuse(
            "重放的请求：该随机数已使用过",
            "Replayed request: this nonce was used before; every request needs a new nonce",
            code="replayed",
            field=protocol.HEADER_NONCE,
        ) from None


def verify_hex(key: sm2.SM2PublicKey, message: bytes, signature_hex: str) -> bool:
    """An SM2 signature given as hex DER, checked with bounds on its size."""
    try:
        if len(signature_hex) > 2 * MAX_SIGNATURE_BYTES:
            return False
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    return key.verify(message, signature)
