"""The host starts the rescue of a bid the platform failed to decrypt from the hall page; a
watcher sees that a rescue is under way. (pytest-django's live server: the page polls.)"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from realtime import stages
from realtime.models import BidOpening, OpeningStatus
from supervision.models import LedgerEntry
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.browser.conftest import requires_chromium
from tests.browser.people import log_in
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401


@pytest.mark.browser
@requires_chromium
def test_the_host_starts_a_rescue_from_the_hall_page(
    browser: Browser,
    live_server: LiveServer,
    opening: Opening,  # noqa: F811
) -> None:
    stages.enter_next(hall=opening.hall, person=opening.host)  # bidder list
    stages.enter_next(hall=opening.hall, person=opening.host)  # decryption
    url = live_server.url + reverse("realtime:hall", args=[opening.section.code])
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    try:
        host = log_in(context, live_server.url, opening.host.username)
        host.goto(url)
        expect(host.locator("#hall-stage")).to_have_text("解密")
        expect(host.locator("#rescue-box")).to_be_hidden()  # nothing failed: nothing to rescue

        BidOpening.objects.filter(bid=opening.bids[2]).update(status=OpeningStatus.FAILED)
        start = host.locator("#start-rescue")
        expect(start).to_be_visible(timeout=10_000)  # the next poll shows the failed bid
        expect(host.locator("#rescue-card")).to_be_hidden()
        start.click()
        expect(host.locator("#host-status")).to_have_text(start.get_attribute("data-done") or "")
        expect(host.locator("#rescue-card")).to_be_visible()
        expect(host.locator("#rescue-box")).to_be_hidden()
    finally:
        context.close()
    opening.hall.refresh_from_db()
    assert opening.hall.rescue_started_at is not None
    entry = LedgerEntry.objects.get(action="realtime.rescue.started")
    assert entry.actor_person_id == opening.host.pk
