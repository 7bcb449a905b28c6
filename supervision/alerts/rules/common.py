"""What the rules share: the finding they return, the bids that count, how a bid and its
ledger entries are named in evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Organisation
from bidding.models import Bid, BidStatus
from realtime.models import BidOpening
from supervision.models import LedgerEntry
from trading.models import Section

# The ledger actions that record a bid's receipt: the evidence links to them.
BID_ACTIONS = ("bidding.bid.received", "bidding.bid.replaced")


@dataclass
class Finding:
    """One thing a rule noticed. ``subjects`` make it one alert (with the rule and the
    section): the shared value, the pair of bidders, the committee seat."""

    rule: str
    section: Section | None
    subjects: tuple[str, ...]
    organisations: list[Organisation]
    summary: str  # 中文 / English
    evidence: dict[str, Any]
    sections: list[Section] = field(default_factory=list)

    def all_sections(self) -> list[Section]:
        named = list(self.sections)
        if self.section is not None and self.section not in named:
            named.insert(0, self.section)
        return named


def counting_bids(section: Section) -> list[Bid]:
    """The bids that count: received and live. A replaced bid was superseded by its
    bidder's later one [E27] and a withdrawn one left the competition; neither is compared
    (docs/decisions.md, 103)."""
    return list(
        Bid.objects.filter(section=section, status=BidStatus.RECEIVED)
        .select_related("organisation")
        .order_by("received_at", "pk")
    )


def opening_numbers(section: Section) -> dict[Any, int]:
    """Bid id → its number in the opening (none before the hall numbered the bids)."""
    return dict(BidOpening.objects.filter(bid__section=section).values_list("bid_id", "number"))


def bid_reference(bid: Bid, numbers: dict[Any, int]) -> dict[str, Any]:
    """A bid as evidence shows it: by its number in the opening and its bidder, never by its
    opaque id (kept under ``id`` for the alert's own links, never shown) [E21]."""
    return {
        "id": str(bid.pk),
        "number": numbers.get(bid.pk),
        "organisation": bid.organisation.credit_code,
        "name": bid.organisation.name,
    }


def bid_ledger_sequences(bids: Iterable[Bid]) -> list[int]:
    ids = [str(bid.pk) for bid in bids]
    return sorted(
        LedgerEntry.objects.filter(action__in=BID_ACTIONS, target_id__in=ids).values_list(
            "sequence", flat=True
        )
    )


def distinct_organisations(bids: Iterable[Bid]) -> list[Organisation]:
    seen: dict[int, Organisation] = {}
    for bid in bids:
        seen.setdefault(bid.organisation_id, bid.organisation)
    return sorted(seen.values(), key=lambda organisation: organisation.credit_code)


def shared(bids: Sequence[Bid], key: Callable[[Bid], str | None]) -> dict[str, list[Bid]]:
    """Bids grouped by a non-empty value that bids of two or more bidders share."""
    groups: dict[str, list[Bid]] = defaultdict(list)
    for bid in bids:
        value = key(bid)
        if value:
            groups[value].append(bid)
    return {
        value: group
        for value, group in sorted(groups.items())
        if len({bid.organisation_id for bid in group}) > 1
    }


def names(organisations: Iterable[Organisation]) -> str:
    return "、".join(organisation.name for organisation in organisations)
