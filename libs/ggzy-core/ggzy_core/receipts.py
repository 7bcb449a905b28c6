"""Receipts: the platform's signed statement that a bid was received (or withdrawn) [E27].

A receipt is ``{"payload": {...}, "signature": hex, "key_fingerprint": hex}`` where the
signature is the platform's SM2 signature (DER, ID 1234567812345678) over
``RECEIPT_DOMAIN + canonical(payload)``. It verifies offline with the platform public key
(``GET /api/platform-key``): ``ggzy-bid receipt verify RECEIPT.json --platform-key PEM``.
No Django import: the bidder's tool uses ``verify_receipt``.

``ggzy-receipt/2`` (issue 7) names the bid by an opaque UUID and carries no number: the
``/1`` receipt's per-section ``sequence`` told a bidder how many bids had arrived before its
own [E21]. Bids are numbered at the opening, in order of the signed ``received_at``. A ``/1``
receipt still verifies: the signature covers its format, so it states what it stated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2

RECEIPT_FORMAT = "ggzy-receipt/2"
VERIFIABLE_FORMATS = frozenset({"ggzy-receipt/1", RECEIPT_FORMAT})
RECEIPT_DOMAIN = b"ggzy-receipt\n"


def receipt_message(payload: Mapping[str, Any]) -> bytes:
    return RECEIPT_DOMAIN + canonical(payload)


def verify_receipt(receipt: Mapping[str, Any], platform_key: sm2.SM2PublicKey) -> bool:
    """True when the receipt is signed by ``platform_key`` and names it."""
    if receipt.get("key_fingerprint") != platform_key.fingerprint():
        return False
    payload = receipt.get("payload")
    if not isinstance(payload, Mapping) or payload.get("format") not in VERIFIABLE_FORMATS:
        return False
    try:
        signature = bytes.fromhex(str(receipt.get("signature", "")))
    except ValueError:
        return False
    return platform_key.verify(receipt_message(payload), signature)
