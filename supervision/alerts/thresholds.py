"""The rules' thresholds, read from ``settings.ALERT_THRESHOLDS`` (environment variables
``ALERT_*``, config/settings.py) over these defaults. docs/alerts.md says why each default."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Thresholds:
    # The schedule looks back this many days of deadlines (a section's signals are complete
    # once it is evaluated; an old section is not rechecked every quarter of an hour).
    sweep_days: int = 30
    # A bid received this many seconds or fewer before the deadline is "in the last seconds".
    last_seconds: int = 60
    # Consecutive price gaps (or ratios) within this share of their mean count as "equal".
    price_pattern_tolerance: Decimal = Decimal("0.005")
    price_pattern_min_bids: int = 3
    # A price at or under the ceiling by at most this share of it is "just under".
    near_ceiling_band: Decimal = Decimal("0.01")
    near_ceiling_count: int = 3
    # Two bidders are habitual co-bidders when they bid together in at least this many
    # sections, which are at least this share of the sections of the less active of the two.
    cobid_min_sections: int = 3
    cobid_min_share: Decimal = Decimal("0.8")
    cobid_lookback_days: int = 365
    # A member's total off the other members' mean by more than this share of the scale.
    score_deviation: Decimal = Decimal("0.20")
    # Decrypted files smaller than this are not compared (blank forms, logos).
    identical_file_min_bytes: int = 1024


def current(**overrides: Any) -> Thresholds:
    """The configured thresholds; ``overrides`` (tests, a demo) replace single values."""
    configured = dict(getattr(settings, "ALERT_THRESHOLDS", {}) or {})
    configured.update(overrides)
    values: dict[str, Any] = {}
    for item in fields(Thresholds):
        if item.name not in configured:
            continue
        raw = configured[item.name]
        values[item.name] = Decimal(str(raw)) if item.type == "Decimal" else int(raw)
    return Thresholds(**values)
