"""Bids are numbered at the opening, in order of their signed receipt times [E21]."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine

from bidding.models import Bid, BidStatus, Receipt
from ggzy import clock
from realtime import snapshot
from realtime.models import BidOpening, Hall
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from trading import chronograph
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_the_opening_numbers_the_live_bids_in_order_of_their_signed_receipt_times(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    start = clock.now()

    def bid_at(seconds: int, bidder: Bidder, replaces: str = "") -> str:
        data = seal_bid(section, bidder, tmp_path, price=f"4{seconds}000000.00")
        key = f"key-{seconds:08d}"
        with time_machine.travel(start + dt.timedelta(seconds=seconds), tick=False):
            if replaces:
                response = upload_whole(bidder.client(), section, data, key=key, replaces=replaces)
            else:
                response = upload_whole(bidder.client(), section, data, key=key)
        assert response.status_code == 204, response.content
        return str(response["Ggzy-Bid"])

    early = bid_at(10, bidders[2])
    replaced = bid_at(20, bidders[0])
    middle = bid_at(30, bidders[1])
    late = bid_at(40, bidders[0], replaces=replaced)  # its time is that of the replacement
    assert not BidOpening.objects.exists()  # nothing is numbered before the deadline

    with time_machine.travel(section.bid_deadline, tick=False):
        chronograph.apply_time_events(section.pk)
    hall = Hall.objects.get(section=section)
    numbers = {str(o.bid_id): o.number for o in hall.openings.all()}
    assert numbers == {early: 1, middle: 2, late: 3}
    assert Bid.objects.get(pk=replaced).status == BidStatus.REPLACED

    # Anyone holding the receipts can check the order: it is that of their signed times.
    received = {
        r.payload["bid_id"]: r.payload["received_at"]
        for r in Receipt.objects.filter(kind="received", bid__status=BidStatus.RECEIVED)
    }
    assert sorted(received, key=lambda bid: received[bid]) == [early, middle, late]

    # The hall's bidder table shows the opening number, and names the bids by their UUIDs.
    shown = snapshot.snapshot(hall, bidders[1].person)
    assert [(row["bid"], row["sequence"]) for row in shown["bidders"]] == [
        (early, 1),
        (middle, 2),
        (late, 3),
    ]
    assert shown["you"] == {"role": "bidder", "bid": middle}
