"""``ggzy-bid submit --replace`` and ``withdraw`` name bids by UUID; ``--replace`` alone means
"my live bid in this section". The tool talks to the platform in-process (a requests stand-in
over Django's test client); tests/bidding/test_resume.py runs it against a real daphne."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bidding.models import Bid, BidStatus
from tests.bidding.conftest import Bidder, seal_bid
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_replace_without_a_value_replaces_the_live_bid_in_the_section(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bidder = bidders[0]
    first, second = tmp_path / "first.gbid", tmp_path / "second.gbid"
    first.write_bytes(seal_bid(section, bidder, tmp_path, price="41000000.00"))
    second.write_bytes(seal_bid(section, bidder, tmp_path, price="40000000.00"))

    assert tool(bidder, "submit", str(first), "--section", section.code) == 0
    old = Bid.objects.get()
    assert f"bid {old.pk}," in capsys.readouterr().out

    assert tool(bidder, "submit", str(second), "--section", section.code) == 2
    refusal = capsys.readouterr().err
    assert str(old.pk) in refusal and "--replace" in refusal  # what to do, and with which bid

    assert tool(bidder, "submit", str(second), "--section", section.code, "--replace") == 0
    old.refresh_from_db()
    new = Bid.objects.get(status=BidStatus.RECEIVED)
    assert old.status == BidStatus.REPLACED and old.replaced_by == new
    receipt = json.loads((tmp_path / "second.gbid.receipt.json").read_text())
    assert receipt["payload"]["bid_id"] == str(new.pk)
    assert "sequence" not in receipt["payload"]


def test_replace_with_no_live_bid_says_to_submit_without_it(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(seal_bid(section, bidders[0], tmp_path))
    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code, "--replace") == 2
    assert "submit without --replace" in capsys.readouterr().err
    assert not Bid.objects.exists()


def test_withdraw_takes_the_bids_uuid_and_refuses_an_integer(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(seal_bid(section, bidders[0], tmp_path))
    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code) == 0
    bid = Bid.objects.get()

    assert tool(bidders[0], "withdraw", "1") == 2
    assert "UUID" in capsys.readouterr().err
    assert Bid.objects.get().status == BidStatus.RECEIVED

    out = tmp_path / "withdrawn.json"
    assert tool(bidders[0], "withdraw", str(bid.pk), "--out", str(out)) == 0
    assert Bid.objects.get().status == BidStatus.WITHDRAWN
    assert json.loads(out.read_text())["payload"]["bid_id"] == str(bid.pk)
