"""The signed documents of the award stage: canonical JSON signed by the platform key under
a domain prefix, exactly as the opening record is (docs/record.md, docs/award.md).

``message = DOMAINS[kind] + content``; the signature is SM2-with-SM3 (ID 1234567812345678),
DER; ``content_sm3 = SM3(content)``; ``key_fingerprint`` names the platform key. The prefix
keeps a signature on one kind of document from passing for another.
"""

from __future__ import annotations

from typing import Any

from ggzy import signing
from ggzy_core.canonical import canonical
from ggzy_core.gm.sm3 import sm3_hex

DOMAINS: dict[str, bytes] = {
    "publicity": b"ggzy-candidate-publicity\n",
    "award": b"ggzy-award-notice\n",
    "result": b"ggzy-result-notice\n",
    "contract": b"ggzy-contract-record\n",
}
FORMATS: dict[str, str] = {kind: f"ggzy-{kind}/1" for kind in DOMAINS}


def sign(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The signed-document fields (content, content_sm3, signature, key_fingerprint) for a
    document of ``kind``; ``body`` gets its ``format``. Assign them to a SignedDocument row."""
    content = canonical({**body, "format": FORMATS[kind]})
    return {
        "content": content,
        "content_sm3": sm3_hex(content),
        "signature": signing.platform_sign(DOMAINS[kind] + content),
        "key_fingerprint": signing.platform_public_key().fingerprint(),
    }


def verify(kind: str, content: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the platform's over a document of ``kind`` (for tests and
    the archive; offline verifiers do the same with the published key)."""
    return signing.platform_public_key().verify(DOMAINS[kind] + bytes(content), bytes(signature))


def signature_json(document: Any) -> dict[str, str]:
    """What the ``.sig.json`` download holds for a SignedDocument row."""
    return {
        "content_sm3": document.content_sm3,
        "signature": bytes(document.signature).hex(),
        "key_fingerprint": document.key_fingerprint,
    }
