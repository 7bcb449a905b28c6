"""Small checks the award tests share."""

from __future__ import annotations

import json
from typing import Any

from award.documents import DOMAINS
from ggzy import signing
from ggzy_core.canonical import canonical
from ggzy_core.gm.sm3 import sm3_hex
from supervision.models import LedgerEntry


def actions(prefix: str) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(action__startswith=prefix).order_by("sequence"))


def verified(document: Any, kind: str) -> dict[str, Any]:
    """Check a signed row as an outsider would (platform public key, domain prefix, SM3,
    canonical form) and return its content."""
    content = bytes(document.content)
    signature = bytes(document.signature)
    key = signing.platform_public_key()
    assert key.verify(DOMAINS[kind] + content, signature)
    assert not key.verify(content, signature)  # without the prefix it is no such document
    for other, prefix in DOMAINS.items():
        if other != kind:
            assert not key.verify(prefix + content, signature)
    assert document.content_sm3 == sm3_hex(content)
    assert document.key_fingerprint == key.fingerprint()
    loaded: dict[str, Any] = json.loads(content)
    assert canonical(loaded) == content
    assert loaded["format"] == f"ggzy-{kind}/1"
    return loaded
