"""HMAC-SM3 request signatures, both ways (docs/bank-interface.md, "Signatures").

The bytes signed are ``timestamp \\n nonce \\n METHOD \\n path \\n body``: the path is the
request target as sent (path and query string), the body the raw bytes. Written here
independently of the platform's ``deposits.signatures`` on purpose: the tests prove the two
agree, as a real bank's implementation would have to.
"""

from __future__ import annotations

import hmac as std_hmac
import re
import secrets
import threading
import time
from collections.abc import Mapping

from cryptography.hazmat.primitives import hashes, hmac

TIMESTAMP = "X-Bank-Timestamp"
NONCE = "X-Bank-Nonce"
SIGNATURE = "X-Bank-Signature"
NONCE_FORMAT = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP_FORMAT = re.compile(r"\d{1,12}")
SIGNATURE_FORMAT = re.compile(r"[0-9a-f]{64}")


def signed_bytes(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n".encode() + body


def signature(secret: str, message: bytes) -> str:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(message)
    return mac.finalize().hex()


def headers(secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return {
        TIMESTAMP: timestamp,
        NONCE: nonce,
        SIGNATURE: signature(secret, signed_bytes(timestamp, nonce, method, path, body)),
    }


class Refused(Exception):
    """Why a request's signature was not accepted (never says anything about the secret)."""


class Verifier:
    """Checks the platform's signatures; remembers nonces while their timestamp is fresh."""

    MAX_NONCES = 200_000

    def __init__(self, secret: str, window: int) -> None:
        self._secret = secret
        self._window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pruned = 0.0

    def verify(self, given: Mapping[str, str], method: str, path: str, body: bytes) -> None:
        timestamp, nonce, sig = (given.get(name, "") for name in (TIMESTAMP, NONCE, SIGNATURE))
        if not (timestamp and nonce and sig):
            raise Refused(f"missing {TIMESTAMP}, {NONCE} or {SIGNATURE}")
        if not TIMESTAMP_FORMAT.fullmatch(timestamp) or not NONCE_FORMAT.fullmatch(nonce):
            raise Refused("malformed timestamp or nonce")
        expected = signature(self._secret, signed_bytes(timestamp, nonce, method, path, body))
        if not SIGNATURE_FORMAT.fullmatch(sig) or not std_hmac.compare_digest(expected, sig):
            raise Refused("signature does not match")
        now = time.time()
        if abs(now - int(timestamp)) > self._window:
            raise Refused(f"timestamp outside the {self._window} s window")
        with self._lock:
            self._prune(now)
            if nonce in self._seen:
                raise Refused("nonce already used (replay)")
            if len(self._seen) >= self.MAX_NONCES:
                raise Refused("too many requests in the window; retry later")
            self._seen[nonce] = now

    def _prune(self, now: float) -> None:
        # A nonce need only be kept while its timestamp could still pass the window check.
        if now - self._pruned < 10:
            return
        self._pruned = now
        stale = [nonce for nonce, seen in self._seen.items() if now - seen > 2 * self._window]
        for nonce in stale:
            del self._seen[nonce]
