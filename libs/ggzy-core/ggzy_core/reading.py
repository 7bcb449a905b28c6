"""What clients and the server must agree on byte for byte. No Django: ``ggzy-bid`` uses it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ggzy_core.canonical import canonical
from ggzy_core.gm.sm3 import sm3_hex

READING_DOMAIN = b"ggzy-reading\n"


def reading_digest(reading: Mapping[str, Any]) -> str:
    """SM3 of the reading table's canonical JSON: what the hall publishes as reading_sm3."""
    return sm3_hex(canonical(reading))


def reading_message(reading_sm3: str) -> bytes:
    """What a bidder signs to confirm (or object to) the reading."""
    return READING_DOMAIN + reading_sm3.encode("ascii")
