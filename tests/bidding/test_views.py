import json
from pathlib import Path

import pytest
from django.urls import reverse

from bidding.models import Bid, BidStatus
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from tests.conftest import client_for
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_a_bidder_sees_open_sections_with_a_server_time_countdown(
    section: Section, bidders: list[Bidder]
) -> None:
    page = client_for(bidders[0].person).get(reverse("bidding:my_bids")).content.decode()
    assert section.code in page
    assert f'data-countdown-to="{int(section.bid_deadline.timestamp() * 1000)}"' in page


def test_a_bidder_downloads_its_receipt_and_no_one_elses(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    response = upload_whole(bidders[0].client(), section, seal_bid(section, bidders[0], tmp_path))
    bid_id = response["Ggzy-Bid"]
    mine = client_for(bidders[0].person).get(reverse("bidding:receipt", args=[bid_id]))
    assert mine.status_code == 200
    assert json.loads(mine.content)[0]["payload"]["bid_id"] == bid_id
    assert (
        client_for(bidders[1].person).get(reverse("bidding:receipt", args=[bid_id])).status_code
        == 404
    )


def test_withdrawing_from_the_page(section: Section, bidders: list[Bidder], tmp_path: Path) -> None:
    response = upload_whole(bidders[0].client(), section, seal_bid(section, bidders[0], tmp_path))
    client_for(bidders[0].person).post(reverse("bidding:withdraw", args=[response["Ggzy-Bid"]]))
    assert Bid.objects.get().status == BidStatus.WITHDRAWN


def test_the_upload_page_warns_that_a_new_upload_replaces_the_live_bid(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    response = upload_whole(bidders[0].client(), section, seal_bid(section, bidders[0], tmp_path))
    page = (
        client_for(bidders[0].person)
        .get(reverse("bidding:upload", args=[section.code]))
        .content.decode()
    )
    assert f'data-replaces="{response["Ggzy-Bid"]}"' in page
