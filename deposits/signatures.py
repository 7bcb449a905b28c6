"""HMAC-SM3 signatures between the platform and its bank, both ways (docs/bank-interface.md).

The bytes signed: ``timestamp "\\n" nonce "\\n" METHOD "\\n" path "\\n" body`` — the
timestamp in unix seconds, the nonce random, the path the request target as sent (path and
query string), the body the raw bytes. A signature is accepted once: its timestamp must be
within ``BANK_CALLBACK_WINDOW_SECONDS`` of the server clock and its nonce never seen (kept in
``CallbackNonce`` for twice the window, then pruned: an older one fails the time check).
"""

from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import re
import secrets
from collections.abc import Mapping

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import IntegrityError, transaction

from deposits.models import CallbackNonce
from ggzy import clock

TIMESTAMP = "X-Bank-Timestamp"
NONCE = "X-Bank-Nonce"
SIGNATURE = "X-Bank-Signature"
_TIMESTAMP = re.compile(r"\d{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class SignatureRefused(Exception):
    """A request the platform does not accept as the bank's. ``code`` is stable; the message
    says which check failed and never anything about the secret."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def signed_bytes(*, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n".encode() + body


def sign(*, secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """The hex HMAC-SM3 of the signed bytes under ``secret``."""
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(signed_bytes(timestamp=timestamp, nonce=nonce, method=method, path=path, body=body))
    return mac.finalize().hex()


def headers(
    *, method: str, path: str, body: bytes, secret: str | None = None, at: dt.datetime | None = None
) -> dict[str, str]:
    """The three headers that sign one request (a fresh nonce every time)."""
    timestamp = str(int((at or clock.now()).timestamp()))
    nonce = secrets.token_hex(16)
    signature = sign(
        secret=secret if secret is not None else settings.BANK_SECRET,
        timestamp=timestamp,
        nonce=nonce,
        method=method,
        path=path,
        body=body,
    )
    return {TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: signature}


def verify(
    *, given: Mapping[str, str], method: str, path: str, body: bytes, secret: str | None = None
) -> None:
    """Accept the request as the bank's, once, or raise ``SignatureRefused``.

    Checked in this order so that nothing unauthenticated is stored: the headers' form, the
    signature (constant-time), the time window, then the nonce (its row is written in the
    caller's transaction: if the caller fails, the nonce was not used)."""
    timestamp, nonce, signature = (given.get(name, "") for name in (TIMESTAMP, NONCE, SIGNATURE))
    if not (timestamp and nonce and signature):
        raise SignatureRefused(
            f"缺少签名头 / Missing signature headers ({TIMESTAMP}, {NONCE}, {SIGNATURE})",
            code="unsigned",
        )
    if not (
        _TIMESTAMP.fullmatch(timestamp)
        and _NONCE.fullmatch(nonce)
        and _SIGNATURE.fullmatch(signature)
    ):
        raise SignatureRefused(
            "签名头格式错误 / Malformed signature headers: timestamp in unix seconds, nonce of "
            "16-64 letters, digits, - or _, signature of 64 lower-case hex digits",
            code="malformed_signature",
        )
    expected = sign(
        secret=secret if secret is not None else settings.BANK_SECRET,
        timestamp=timestamp,
        nonce=nonce,
        method=method,
        path=path,
        body=body,
    )
    if not std_hmac.compare_digest(expected, signature):
        raise SignatureRefused(
            "签名不符 / The signature does not match the request", code="bad_signature"
        )
    now = clock.now()
    window = settings.BANK_CALLBACK_WINDOW_SECONDS
    if abs(now.timestamp() - int(timestamp)) > window:
        raise SignatureRefused(
            f"时间戳超出 {window} 秒窗口，请校准时钟后用新签名重发 / The timestamp is more than "
            f"{window} s from the platform's clock: check the clock, sign again and resend",
            code="stale_timestamp",
        )
    _use_nonce(nonce, now, window)


def _use_nonce(nonce: str, now: dt.datetime, window: int) -> None:
    # A nonce can pass the time check for at most 2 × window after it was first seen.
    CallbackNonce.objects.filter(seen_at__lt=now - dt.timedelta(seconds=2 * window)).delete()
    try:
        with transaction.atomic():
            CallbackNonce.objects.create(nonce=nonce, seen_at=now)
    except IntegrityError:
        raise SignatureRefused(
            "该随机数已使用（重放），每次发送须重新签名 / Nonce already used (a replay): sign "
            "every delivery afresh",
            code="replayed",
        ) from None
