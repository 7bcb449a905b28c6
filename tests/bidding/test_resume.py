"""The bidder's tool, killed half-way through an upload to a real daphne process, resumes
where the server is and gets the receipt an uninterrupted upload gets — and one bid."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from accounts import services as account_services
from bidding.models import Bid, Upload, UploadState
from ggzy import signing
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.receipts import verify_receipt
from tests import servers
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)


def submit(
    url: str, token: str, bid: Path, section: Section, home: Path
) -> subprocess.Popen[bytes]:
    command = servers.ggzy_bid_submit(
        url=url, token=token, bid=bid, section_code=section.code, home=home, chunk_size=65536
    )
    return subprocess.Popen(
        command.argv,
        cwd=servers.ROOT,
        env=command.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_killed_upload_resumes_and_gets_the_same_receipt(
    published: Section, tmp_path: Path
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    bidder = make_bidder("断点续传建设有限公司")
    _token, raw = account_services.token_issue(person=bidder.person)
    data = seal_bid(section, bidder, tmp_path, body=secrets.token_bytes(3 * 1024 * 1024))
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(data)

    with servers.daphne(tmp_path) as server:
        first = submit(server.url, raw, bid_file, section, tmp_path)
        deadline = time.monotonic() + 60
        while not Upload.objects.filter(offset__gte=10 * 65536).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the upload never got going"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        interrupted = Upload.objects.get()
        assert interrupted.state == UploadState.OPEN and 0 < interrupted.offset < len(data)
        assert not Bid.objects.exists()

        second = submit(server.url, raw, bid_file, section, tmp_path)
        out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    assert "received" in out.decode()
    assert Upload.objects.count() == 1  # the same upload, continued
    bid = Bid.objects.get()
    assert bid.sm3 == sm3_hex(data) and bid.size == len(data)
    receipt = json.loads((tmp_path / "bid.gbid.receipt.json").read_text())
    assert verify_receipt(receipt, signing.platform_public_key())
    assert receipt["payload"]["sm3"] == sm3_hex(data) and receipt["payload"]["bid_id"] == str(
        bid.pk
    )
