"""The regulator-only view of an opening hall: who signed in from which address, when each
bid's key came and how long decryption took, which holders gave their share of the opening
key and when it was used. The hall's public page shows none of this; reading it is
ledgered (the view calls ``supervision.readings.viewed``). No bidder is in a hall before the
deadline, so there is nothing to show before it [E21]."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from realtime.models import BidOpening, Hall, ShareSubmission
from supervision import ledger
from supervision.models import LedgerEntry
from supervision.portal import section_entries


@dataclass(frozen=True)
class Decryption:
    opening: BidOpening
    address: str | None
    after_window: dt.timedelta | None  # from the window's opening to the key
    took: dt.timedelta | None  # from the key to the decrypted bid


@dataclass(frozen=True)
class HallWatch:
    hall: Hall
    sign_ins: list[LedgerEntry]
    decryptions: list[Decryption]
    shares: list[ShareSubmission]
    window_opened: dt.datetime | None


def watch(hall: Hall) -> HallWatch:
    entries = ledger.visible().filter(section_entries.entries_of(hall.section))
    sign_ins = list(entries.filter(action="realtime.hall.signed_in").order_by("sequence"))
    window = entries.filter(action="realtime.hall.decryption").order_by("sequence").first()
    window_opened = window.recorded_at if window else None
    addresses = _key_addresses(entries)
    decryptions = []
    for opening in BidOpening.objects.filter(hall=hall).select_related("bid__organisation"):
        decryptions.append(
            Decryption(
                opening=opening,
                address=addresses.get(str(opening.bid_id)),
                after_window=(opening.submitted_at - window_opened)
                if opening.submitted_at and window_opened
                else None,
                took=(opening.decrypted_at - opening.submitted_at)
                if opening.decrypted_at and opening.submitted_at
                else None,
            )
        )
    decryptions.sort(key=lambda item: item.opening.number)
    shares = list(
        ShareSubmission.objects.filter(hall=hall)
        .select_related("holder", "person")
        .order_by("submitted_at")
    )
    return HallWatch(
        hall=hall,
        sign_ins=sign_ins,
        decryptions=decryptions,
        shares=shares,
        window_opened=window_opened,
    )


def _key_addresses(entries: Any) -> dict[str, str | None]:
    """The address each bid's key came from (the last submission wins)."""
    found: dict[str, str | None] = {}
    for entry in entries.filter(action="realtime.bid.key_submitted").order_by("sequence"):
        found[str(entry.target_id)] = entry.network_address
    return found
