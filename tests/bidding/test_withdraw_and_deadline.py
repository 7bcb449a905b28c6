import datetime as dt
from pathlib import Path

import pytest
import time_machine

from bidding.models import Bid, BidStatus
from ggzy import signing
from ggzy_core.receipts import verify_receipt
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from trading import chronograph
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db


def bid_of(bidder: Bidder, section: Section, tmp_path: Path) -> str:
    response = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    assert response.status_code == 204, response.content
    return str(response["Ggzy-Bid"])


def test_a_bidder_withdraws_before_the_deadline_and_gets_a_signed_receipt(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bid_id = bid_of(bidders[0], section, tmp_path)
    response = bidders[0].client().post(f"/api/bids/{bid_id}/withdraw")
    assert response.status_code == 201
    assert response.json()["payload"]["kind"] == "withdrawn"
    assert verify_receipt(response.json(), signing.platform_public_key())
    assert Bid.objects.get(pk=bid_id).status == BidStatus.WITHDRAWN
    assert LedgerEntry.objects.filter(action="bidding.bid.withdrawn").count() == 1


def test_no_withdrawal_after_the_deadline(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bid_id = bid_of(bidders[0], section, tmp_path)
    with time_machine.travel(section.bid_deadline, tick=False):
        response = bidders[0].client().post(f"/api/bids/{bid_id}/withdraw")
    assert response.status_code == 400 and "R35" in response.json()["detail"]
    assert Bid.objects.get(pk=bid_id).status == BidStatus.RECEIVED
    assert not LedgerEntry.objects.filter(action="bidding.bid.withdrawn").exists()


def test_another_company_cannot_withdraw_a_bid(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bid_id = bid_of(bidders[0], section, tmp_path)
    assert bidders[1].client().post(f"/api/bids/{bid_id}/withdraw").status_code == 404
    assert Bid.objects.get(pk=bid_id).status == BidStatus.RECEIVED
    assert not LedgerEntry.objects.filter(action="bidding.bid.withdrawn").exists()


def test_three_live_bids_at_the_deadline_open_the_hall(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    for bidder in bidders:
        bid_of(bidder, section, tmp_path)
    with time_machine.travel(section.bid_deadline, tick=False):
        chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    assert section.status == SectionStatus.OPENING


def test_a_withdrawn_bid_does_not_count_and_the_section_fails(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    ids = [bid_of(bidder, section, tmp_path) for bidder in bidders]
    bidders[2].client().post(f"/api/bids/{ids[2]}/withdraw")
    with time_machine.travel(section.bid_deadline + dt.timedelta(seconds=5), tick=False):
        chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    assert section.status == SectionStatus.FAILED
    assert "(2)" in section.status_reason
