"""``ggzy-bid submit --replace`` and ``withdraw`` name bids by UUID; ``--replace`` alone means
"my live bid in this section". The tool talks to the platform in-process (a requests stand-in
over Django's test client); tests/bidding/test_resume.py runs it against a real daphne."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bidding.models import Bid, BidStatus, Upload
from ggzy import clock, signing
from ggzy_bid import cli, output, server
from ggzy_core.gm import sm2
from ggzy_core.times import BEIJING
from tests.bidding.conftest import Bidder, seal_bid
from tests.ggzy_bid.conftest import error_line, platform_for
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid_file(section: Section, bidders: list[Bidder], tmp_path: Path) -> Path:
    """The first bidder's sealed bid, ready to submit."""
    path = tmp_path / "bid.gbid"
    path.write_bytes(seal_bid(section, bidders[0], tmp_path))
    return path


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
    # The command to run, with the bid to replace, in both languages; nothing was uploaded.
    command = f"ggzy-bid submit {second} --section {section.code} --replace {old.pk}"
    assert f"如需用本文件替换它，请运行：{command}" in refusal
    assert f"to replace it with this file run: {command}" in refusal
    assert Upload.objects.count() == 1

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
    bid_file: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code, "--replace") == 2
    assert "submit without --replace" in capsys.readouterr().err
    assert not Bid.objects.exists()


def test_withdraw_takes_the_bids_uuid_and_refuses_an_integer(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    bid_file: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code) == 0
    bid = Bid.objects.get()

    assert tool(bidders[0], "withdraw", "1") == 2
    assert "UUID" in capsys.readouterr().err
    assert Bid.objects.get().status == BidStatus.RECEIVED

    out = tmp_path / "withdrawn.json"
    assert tool(bidders[0], "withdraw", str(bid.pk), "--out", str(out)) == 0
    assert Bid.objects.get().status == BidStatus.WITHDRAWN
    assert json.loads(out.read_text())["payload"]["bid_id"] == str(bid.pk)


def test_submit_says_the_key_is_not_bound_before_uploading_anything(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bidder = bidders[0]
    fresh = sm2.generate_private_key()
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(seal_bid(section, bidder, tmp_path, signing_key=fresh))

    assert tool(bidder, "submit", str(bid_file), "--section", section.code) == 2

    line = error_line(capsys)
    keys_page = f"http://platform.test/accounts/organisations/{bidder.organisation.pk}/keys/"
    fingerprint = fresh.public_key().fingerprint()
    assert f"签名密钥 {fingerprint} 未绑定到本单位 {bidder.organisation.name}" in line
    assert f"the signing key {fingerprint} is not bound to your organisation" in line
    assert f"your organisation's manager binds its public key at {keys_page}" in line
    assert "bids already received stay valid" in line
    assert not Upload.objects.exists()


def test_submit_prints_the_receipt_time_in_beijing_time(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    bid_file: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code) == 0
    received_at = Bid.objects.get().received_at.astimezone(BEIJING)
    shown = f"at {received_at:%Y-%m-%d %H:%M:%S}"
    out = capsys.readouterr().out
    assert shown in out and "北京时间 (UTC+8)" in out


def test_seal_warns_when_the_saved_login_says_the_key_is_not_bound(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bidder = bidders[0]
    fresh = sm2.generate_private_key()
    key, opening, sheet = tmp_path / "new.pem", tmp_path / "opening.pub.pem", tmp_path / "s.json"
    key.write_bytes(fresh.to_pem())
    opening.write_text(section.opening_key_pem)
    sheet.write_text('{"price": "100.00"}')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.pdf").write_bytes(b"proposal")
    server.save_credentials(server.Server(url="http://platform.test", token="t"))
    monkeypatch.setattr(server.requests, "Session", platform_for(bidder.person))
    seal = [
        "seal", str(tmp_path / "docs"), "--section-id", str(section.pk),
        "--section-code", section.code, "--credit-code", bidder.organisation.credit_code,
        "--key", str(key), "--opening-key", str(opening), "--sheet", str(sheet),
    ]  # fmt: skip

    assert cli.main([*seal, "--out", str(tmp_path / "a.gbid")]) == 0
    err = capsys.readouterr().err
    fingerprint = fresh.public_key().fingerprint()
    assert f"注意：签名密钥 {fingerprint} 未绑定到本单位" in err
    assert "(sealing anyway)" in err

    assert cli.main([*seal, "--out", str(tmp_path / "b.gbid"), "--offline"]) == 0
    assert "注意：" not in capsys.readouterr().err


def test_time_and_receipt_verify_print_beijing_time(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    bid_file: Path,
    tool: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert tool(bidders[0], "time") == 0
    now = clock.now().astimezone(BEIJING)  # the travelled clock stands still
    assert f"平台时间 / server time {now:%Y-%m-%d %H:%M:%S}" in capsys.readouterr().out

    assert tool(bidders[0], "submit", str(bid_file), "--section", section.code) == 0
    capsys.readouterr()
    platform = tmp_path / "platform.pem"
    platform.write_bytes(signing.platform_public_key().to_pem())
    receipt = str(bid_file) + ".receipt.json"
    assert cli.main(["receipt", "verify", receipt, "--platform-key", str(platform)]) == 0
    received_at = Bid.objects.get().received_at.astimezone(BEIJING)
    assert f"received {output.beijing(received_at)}" in capsys.readouterr().out
