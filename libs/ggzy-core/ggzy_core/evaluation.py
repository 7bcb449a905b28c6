"""The evaluation summary and the report's signed bytes. No Django: anyone holding a report's
canonical JSON recomputes its ranking with :func:`summarize` and checks each member's
signature over :func:`report_message`.

Rules (docs/experts.md):
- a bid is rejected when more than half of the members reject it [R51];
- comprehensive scoring: a member's total for a bid is the sum of points × weight; the bid's
  score is the mean of the totals of the members who scored it; higher ranks first;
- lowest evaluated price: the bid's evaluated price is the mean of the members'; lower ranks
  first;
- ties: the lower price read out, then the earlier number (receipt order);
- at most three ranked candidates [R53];
- a member's total for a bid that differs from the other members' mean by more than
  ``OUTLIER_SHARE`` (of the highest possible total, or of the others' mean price) is an
  outlier, flagged to regulators.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ggzy_core.canonical import canonical
from ggzy_core.gm.sm3 import sm3_hex

REPORT_FORMAT = "ggzy-evaluation-report/1"
REPORT_DOMAIN = b"ggzy-evaluation-report\n"
COMPREHENSIVE = "comprehensive"
LOWEST_PRICE = "lowest_price"
MAX_CANDIDATES = 3  # [R53]
OUTLIER_SHARE = Decimal("0.20")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    maximum: Decimal | None  # None: the evaluated price (lowest price method)
    weight: Decimal = Decimal(1)


@dataclass(frozen=True)
class Bid:
    number: int
    price: Decimal | None
    # member index → points per criterion (in the criteria's order); absent: not scored
    scores: Mapping[int, Sequence[Decimal]] = field(default_factory=dict)
    rejected_by: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Outlier:
    member: int
    bid: int
    value: Decimal
    others: Decimal


@dataclass(frozen=True)
class Summary:
    totals: dict[int, dict[int, Decimal]]  # bid number → member index → total
    results: dict[int, Decimal]  # bid number → score (or evaluated price), not rejected
    rejected: list[int]
    ranking: list[int]  # bid numbers, best first
    candidates: list[int]
    outliers: list[Outlier]


def member_total(method: str, criteria: Sequence[Criterion], points: Sequence[Decimal]) -> Decimal:
    if method == LOWEST_PRICE:
        return Decimal(points[0])
    return sum(
        (Decimal(value) * item.weight for value, item in zip(points, criteria, strict=True)),
        Decimal(0),
    )


def highest_total(criteria: Sequence[Criterion]) -> Decimal:
    return sum(((item.maximum or Decimal(0)) * item.weight for item in criteria), Decimal(0))


def _mean(values: Sequence[Decimal]) -> Decimal:
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def summarize(
    *, method: str, criteria: Sequence[Criterion], members: int, bids: Sequence[Bid]
) -> Summary:
    totals = {
        bid.number: {
            member: member_total(method, criteria, points) for member, points in bid.scores.items()
        }
        for bid in bids
    }
    rejected = [bid.number for bid in bids if len(bid.rejected_by) * 2 > members]
    results = {
        number: _mean(list(by_member.values()))
        for number, by_member in totals.items()
        if number not in rejected and by_member
    }
    prices = {bid.number: bid.price for bid in bids}
    sign = 1 if method == LOWEST_PRICE else -1

    def order(number: int) -> tuple[Decimal, Decimal, int]:
        price = prices[number]
        return (sign * results[number], price if price is not None else Decimal("Infinity"), number)

    ranking = sorted(results, key=order)
    highest = highest_total(criteria)
    outliers = []
    for number, by_member in totals.items():
        if number in rejected:
            continue
        for member, value in sorted(by_member.items()):
            others = [other for index, other in by_member.items() if index != member]
            if not others:
                continue
            mean = _mean(others)
            scale = mean if method == LOWEST_PRICE else highest
            if scale > 0 and abs(value - mean) > OUTLIER_SHARE * scale:
                outliers.append(Outlier(member=member, bid=number, value=value, others=mean))
    return Summary(
        totals=totals,
        results=results,
        rejected=rejected,
        ranking=ranking,
        candidates=ranking[:MAX_CANDIDATES],
        outliers=outliers,
    )


def report_digest(report: Mapping[str, Any]) -> str:
    """SM3 of the report's canonical JSON: what the ledger carries and members sign."""
    return sm3_hex(canonical(report))


def report_message(report_sm3: str, *, agrees: bool, dissent: str = "") -> bytes:
    """What a member signs: the report's SM3 and the member's answer. A dissent is bound to
    its written reasons by their SM3 [R53]."""
    answer = b"agree" if agrees else b"dissent " + sm3_hex(dissent.encode("utf-8")).encode()
    return REPORT_DOMAIN + report_sm3.encode("ascii") + b"\n" + answer
