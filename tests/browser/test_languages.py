"""What scripts write on a page speaks the page's language (issue 13): the server clock
names Beijing time, a countdown's days are 天 or d — both from the page, not the script."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.bidding.conftest import open_for_bids
from tests.browser.conftest import requires_chromium
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = [pytest.mark.browser, requires_chromium]


@pytest.mark.parametrize(
    ("language", "zone", "days"),
    [
        ("zh-hans", "北京时间", r"^2天 \d\d:\d\d:\d\d$"),
        ("en", "Beijing time", r"^2d \d\d:\d\d:\d\d$"),
    ],
)
def test_the_clock_and_the_countdown_speak_the_pages_language(
    browser: Browser,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    language: str,
    zone: str,
    days: str,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2, hours=3))
    # A browser in another zone and language: what it shows must not depend on either.
    context = browser.new_context(locale="de-DE", timezone_id="America/New_York")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + reverse("trading:section", args=[section.code]))
    expect(page.locator("#server-clock")).to_contain_text(zone)
    expect(page.locator("#deadline-countdown")).to_have_text(re.compile(days))
    context.close()
