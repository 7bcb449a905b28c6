"""Electronic guarantees (电子保函): the bytes an issuer and the platform sign, as plain
functions shared by the server, issuers' tools and the issuer simulator (no Django).

docs/guarantees.md specifies the interface. In short:

- A guarantee's **payload** is a canonical JSON object (``ggzy_core.canonical``: sorted keys,
  no spaces, UTF-8) with exactly ``PAYLOAD_FIELDS``, every value a string. The issuer signs
  those bytes with SM2 (ID ``1234567812345678``, DER): that signature stays with the
  guarantee and anyone holding the issuer's public key can check it offline.
- Every **issuer request** (submit, revoke) is authenticated on its own: headers name the
  issuer, a timestamp and a nonce, and carry an SM2 signature of ``request_message``, which
  binds method, path, timestamp, nonce and the SM3 of the request's content. A nonce is
  accepted once; a timestamp only within ``REQUEST_WINDOW_SECONDS`` of the platform's clock.
- A **claim** is canonical JSON signed by the platform; the issuer answers with canonical
  JSON it signs itself (``Ggzy-Signature`` on both).
"""

from __future__ import annotations

import re
import secrets
import time

from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex

PAYLOAD_FORMAT = "ggzy-guarantee/1"
REVOCATION_FORMAT = "ggzy-guarantee-revocation/1"
CLAIM_FORMAT = "ggzy-guarantee-claim/1"
CLAIM_ANSWER_FORMAT = "ggzy-guarantee-claim-answer/1"
REQUEST_FORMAT = "ggzy-issuer-request/1"

PAYLOAD_FIELDS = (
    "format",
    "number",
    "issuer",
    "beneficiary",
    "section",
    "bidder",
    "amount",
    "currency",
    "valid_from",
    "valid_until",
    "document_sm3",
    "issued_at",
)

HEADER_ISSUER = "Ggzy-Issuer"
HEADER_TIMESTAMP = "Ggzy-Timestamp"
HEADER_NONCE = "Ggzy-Nonce"
HEADER_SIGNATURE = "Ggzy-Signature"
HEADER_KEY = "Ggzy-Key-Fingerprint"
HEADER_IDEMPOTENCY_KEY = "Idempotency-Key"

REQUEST_WINDOW_SECONDS = 300
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$")


def payload_bytes(payload: dict[str, str]) -> bytes:
    """The bytes an issuer signs: the payload as canonical JSON."""
    return canonical(payload)


def request_message(*, method: str, path: str, timestamp: str, nonce: str, content: bytes) -> bytes:
    """What the request signature covers, one item a line (UTF-8, ``\\n``, no final newline):
    the format, the method, the path (no query), the timestamp (Unix seconds), the nonce and
    the SM3 (lower-case hex) of the content — the payload's bytes for a submission, the body
    for every other request."""
    return "\n".join(
        (REQUEST_FORMAT, method.upper(), path, timestamp, nonce, sm3_hex(content))
    ).encode("utf-8")


def signed_headers(
    *,
    key: sm2.SM2PrivateKey,
    issuer: str,
    method: str,
    path: str,
    content: bytes,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers that authenticate one issuer request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    once = nonce or secrets.token_urlsafe(24)
    message = request_message(
        method=method, path=path, timestamp=stamp, nonce=once, content=content
    )
    return {
        HEADER_ISSUER: issuer,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: once,
        HEADER_SIGNATURE: key.sign(message).hex(),
    }
