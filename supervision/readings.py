"""The regulator's readings of sealed or personal data are ledgered like any other action:
who read what, from where (the request's context supplies the address) [E49]."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supervision import ledger


def viewed(
    *, reader: Any, what: str, target: Any = None, data: Mapping[str, Any] | None = None
) -> None:
    """``what`` names the reading: ``ledger_searched``, ``ledger_exported``, ``hall_viewed``,
    ``timeline_viewed``, ``alert_viewed``; the filters or the section go in ``data``."""
    ledger.append(f"supervision.portal.{what}", actor=reader, target=target, data=dict(data or {}))
