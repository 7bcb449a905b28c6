"""A bidder uploads a sealed bid from the browser: progress, then the signed receipt."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bidding.models import Bid
from ggzy_core.gm.sm3 import sm3_hex
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid
from tests.browser.conftest import requires_chromium
from tests.factories import TEST_PASSWORD
from tests.trading.conftest import bind_new_key, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = [pytest.mark.browser, requires_chromium]
SCREENSHOT = Path(django_settings.VAR_DIR) / "screenshots" / "bid-upload.png"


def test_a_bidder_uploads_a_sealed_bid_and_gets_the_receipt(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    bidder = make_bidder("浏览器投标建设有限公司")
    bidder.person.username = "browser-bidder"
    bidder.person.save()
    sealed = seal_bid(section, bidder, tmp_path, body=b"x" * (3 * 1024 * 1024))
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(sealed)

    page.goto(live_server.url + reverse("accounts:login"))
    page.get_by_label("用户名").fill("browser-bidder")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    page.goto(live_server.url + reverse("bidding:my_bids"))
    expect(page.locator("#open-sections")).to_contain_text(section.code)
    page.goto(live_server.url + reverse("bidding:upload", args=[section.code]))
    page.set_input_files("#bid-file", str(bid_file))
    page.locator("#bid-upload").get_by_role("button", name="上传").click()

    receipt_link = page.locator("#bid-receipt")
    expect(receipt_link).to_be_visible(timeout=30_000)
    expect(page.locator("#bid-progress")).to_have_attribute("value", "100")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)
    bid = Bid.objects.get(organisation=bidder.organisation)
    assert bid.sm3 == sm3_hex(sealed)
    with page.expect_download() as download:
        receipt_link.click()
    receipt = json.loads(Path(download.value.path()).read_text())
    assert receipt[0]["payload"]["sm3"] == sm3_hex(sealed)
