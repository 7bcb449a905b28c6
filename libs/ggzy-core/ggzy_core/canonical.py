"""One byte string per JSON value, so that hashes and signatures over JSON are repeatable:
sorted keys, no spaces, UTF-8, no NaN. Used by the ledger chain and by receipts; no Django
import, so offline verifiers (the bidder's tool, a regulator's script) use it too."""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
