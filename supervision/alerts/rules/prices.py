"""Rules on the prices read out at the opening [R40]: prices in a regular pattern (equal
gaps or equal ratios), and prices clustered just under the ceiling. The prices are those of
the bids the hall decrypted (``BidOpening.sheet``, what the reading read out)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bidding.models import Bid
from realtime.models import BidOpening, OpeningStatus
from supervision.alerts.models import RuleCode
from supervision.alerts.rules.common import Finding, names
from supervision.alerts.thresholds import Thresholds
from supervision.models import LedgerEntry
from trading.models import Section


@dataclass(frozen=True)
class Priced:
    number: int
    bid: Bid
    price: Decimal


def _priced(section: Section) -> list[Priced]:
    rows = []
    for opening in (
        BidOpening.objects.filter(
            bid__section=section, bid__status="received", status=OpeningStatus.DECRYPTED
        )
        .select_related("bid__organisation")
        .order_by("number")
    ):
        try:
            price = Decimal(str((opening.sheet or {}).get("price")))
        except (InvalidOperation, ValueError):
            continue
        if price.is_finite() and price > 0:
            rows.append(Priced(opening.number, opening.bid, price))
    return rows


def _reading_sequences(section: Section) -> list[int]:
    return sorted(
        LedgerEntry.objects.filter(
            action="realtime.hall.read", target_type="trading.section", target_id=str(section.pk)
        ).values_list("sequence", flat=True)
    )


def _even(steps: list[Decimal], tolerance: Decimal) -> bool:
    """All steps within ``tolerance`` of their mean (relative); all-zero steps are even."""
    mean = sum(steps, Decimal(0)) / len(steps)
    if mean == 0:
        return all(step == 0 for step in steps)
    return all(abs(step - mean) <= tolerance * abs(mean) for step in steps)


def _evidence(section: Section, rows: list[Priced], values: dict[str, object]) -> dict[str, object]:
    return {
        "values": values,
        "bids": [
            {
                "id": str(row.bid.pk),
                "number": row.number,
                "organisation": row.bid.organisation.credit_code,
                "name": row.bid.organisation.name,
                "price": str(row.price),
            }
            for row in rows
        ],
        "ledger": _reading_sequences(section),
    }


def price_pattern(section: Section, thresholds: Thresholds) -> list[Finding]:
    """All prices, sorted, step by equal differences or by equal ratios (within the
    tolerance): bids priced from one table [R40]."""
    rows = sorted(_priced(section), key=lambda row: (row.price, row.number))
    if len(rows) < max(thresholds.price_pattern_min_bids, 3):
        return []
    prices = [row.price for row in rows]
    gaps = [high - low for low, high in itertools.pairwise(prices)]
    ratios = [high / low - 1 for low, high in itertools.pairwise(prices)]
    if _even(gaps, thresholds.price_pattern_tolerance):
        kind, kind_zh, steps = "equal_differences", "等差", [str(gap) for gap in gaps]
    elif _even(ratios, thresholds.price_pattern_tolerance):
        kind, kind_zh, steps = "equal_ratios", "等比", [f"{1 + ratio:.6f}" for ratio in ratios]
    else:
        return []
    organisations = sorted(
        {row.bid.organisation for row in rows}, key=lambda organisation: organisation.credit_code
    )
    return [
        Finding(
            rule=RuleCode.PRICE_PATTERN,
            section=section,
            subjects=(kind,),
            organisations=organisations,
            summary=(
                f"标段 {section.code}：{len(rows)} 个投标报价呈{kind_zh}规律 / Section "
                f"{section.code}: {len(rows)} prices step by "
                f"{'equal differences' if kind == 'equal_differences' else 'equal ratios'}"
            ),
            evidence=_evidence(
                section,
                rows,
                {
                    "pattern": kind,
                    "steps": steps,
                    "tolerance": str(thresholds.price_pattern_tolerance),
                },
            ),
        )
    ]


def near_ceiling(section: Section, thresholds: Thresholds) -> list[Finding]:
    """Several prices within a narrow band just under the ceiling [R40]."""
    ceiling = section.price_ceiling
    if ceiling is None or ceiling <= 0:
        return []
    floor = ceiling * (1 - thresholds.near_ceiling_band)
    close = [row for row in _priced(section) if floor <= row.price <= ceiling]
    if len(close) < thresholds.near_ceiling_count:
        return []
    organisations = sorted(
        {row.bid.organisation for row in close}, key=lambda organisation: organisation.credit_code
    )
    band = f"{thresholds.near_ceiling_band * 100:.2f}"
    return [
        Finding(
            rule=RuleCode.NEAR_CEILING,
            section=section,
            subjects=("ceiling",),
            organisations=organisations,
            summary=(
                f"标段 {section.code}：{names(organisations)} 的报价集中在最高投标限价以下 "
                f"{band}% 以内 / Section {section.code}: {len(close)} prices lie within {band}% "
                f"under the price ceiling"
            ),
            evidence=_evidence(
                section,
                close,
                {
                    "price_ceiling": str(ceiling),
                    "band": str(thresholds.near_ceiling_band),
                    "count": len(close),
                },
            ),
        )
    ]
