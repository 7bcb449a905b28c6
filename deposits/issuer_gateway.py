"""The issuer gateway: how the platform sends a claim to a guarantee's issuer.

Transport only. ``deposits.guarantee_claims`` builds and signs the claim and checks the
issuer's signed answer; a gateway delivers the bytes and hands back what came back. The HTTP
gateway POSTs to the issuer's registered claim URL (docs/guarantees.md, "Claims").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import requests

from deposits.models import Issuer
from ggzy_core import guarantee as protocol

MAX_ANSWER_BYTES = 16 * 1024
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ClaimAnswer:
    body: bytes  # the issuer's answer, canonical JSON
    signature: str  # its Ggzy-Signature header: the issuer's SM2 signature, hex DER


class IssuerUnavailable(Exception):
    """No answer (timeout, connection refused, 5xx): the outcome is unknown; send the same
    claim again, the claim id makes it count once."""


class IssuerRefused(Exception):
    """The issuer answered that it will not take the claim (4xx): sending it again as it is
    will not help; staff look at ``last_error``."""


class IssuerGateway(Protocol):
    def send_claim(
        self, *, issuer: Issuer, claim_id: str, body: bytes, signature: bytes, key_fingerprint: str
    ) -> ClaimAnswer:
        """Deliver one claim; the same ``claim_id`` however often it is sent."""
        ...


class HttpIssuerGateway:
    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def send_claim(
        self, *, issuer: Issuer, claim_id: str, body: bytes, signature: bytes, key_fingerprint: str
    ) -> ClaimAnswer:
        if not issuer.claim_url:
            raise IssuerRefused("the issuer has registered no claim URL")
        try:
            response = requests.post(
                issuer.claim_url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    protocol.HEADER_IDEMPOTENCY_KEY: claim_id,
                    protocol.HEADER_SIGNATURE: signature.hex(),
                    protocol.HEADER_KEY: key_fingerprint,
                },
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise IssuerUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        with response:
            content = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            if response.status_code >= 500:
                raise IssuerUnavailable(f"HTTP {response.status_code}")
            if response.status_code >= 300:
                text = content[:200].decode("utf-8", "replace")
                raise IssuerRefused(f"HTTP {response.status_code}: {text}")
            if len(content) > MAX_ANSWER_BYTES:
                raise IssuerRefused(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
            return ClaimAnswer(
                body=content, signature=response.headers.get(protocol.HEADER_SIGNATURE, "")
            )


def default_gateway() -> IssuerGateway:
    return HttpIssuerGateway()
