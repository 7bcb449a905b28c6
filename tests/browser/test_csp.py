"""The main pages run in Chromium under the Content-Security-Policy without one violation:
their scripts, styles, the language switch, the withdraw confirmation and the API docs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Dialog, expect
from pytest_django.live_server_helper import LiveServer

from bidding.models import Bid, BidStatus
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid, upload_whole
from tests.browser.conftest import assert_no_csp_violation, requires_chromium, watch_csp
from tests.conftest import api_client_for
from tests.factories import TEST_PASSWORD
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = [pytest.mark.browser, requires_chromium]


def test_the_policy_is_enforced_in_the_browser(browser: Browser, live_server: LiveServer) -> None:
    """The check below is only worth something if the browser does refuse inline script."""
    context = browser.new_context()
    violations = watch_csp(context)
    page = context.new_page()
    response = page.goto(live_server.url + "/")
    assert response is not None
    assert "script-src 'self'" in (response.header_value("Content-Security-Policy") or "")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected === undefined")
    assert any("script-src" in line for line in violations), violations
    context.close()


def test_the_main_pages_run_without_a_csp_violation(
    browser: Browser,
    live_server: LiveServer,
    published: Section,  # noqa: F811
    tmp_path: Path,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(days=2))
    bidder = make_bidder("内容安全策略建设有限公司")
    upload_whole(api_client_for(bidder.person), section, seal_bid(section, bidder, tmp_path))
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    page = context.new_page()
    base = live_server.url
    for url in (
        "/",
        reverse("trading:announcements"),
        reverse("trading:section", args=[section.code]),
        reverse("realtime:hall", args=[section.code]),
        reverse("accounts:register"),
        reverse("accounts:login"),
    ):
        page.goto(base + url)
        expect(page.locator("#server-clock")).not_to_be_empty()  # server-clock.js ran
    page.get_by_label("用户名").fill(bidder.person.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    page.wait_for_url("**" + reverse("accounts:dashboard"))
    assert bidder.person.organisation_id is not None
    for url in (
        reverse("accounts:dashboard"),
        reverse("accounts:tokens"),
        reverse("accounts:keys", args=[bidder.person.organisation_id]),
        reverse("accounts:people", args=[bidder.person.organisation_id]),
        reverse("bidding:upload", args=[section.code]),
        reverse("bidding:my_bids"),
    ):
        page.goto(base + url)
        expect(page.locator("#server-clock")).not_to_be_empty()
    # The withdraw confirmation (was an inline onsubmit): declining keeps the bid.
    bid = Bid.objects.get(organisation=bidder.organisation)
    questions: list[str] = []

    def decline(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.locator("#bids").get_by_role("button", name="撤回").click()
    page.wait_for_timeout(300)
    assert questions == ["确定撤回该投标？"]
    bid.refresh_from_db()
    assert bid.status == BidStatus.RECEIVED
    # The language switch (was an inline onchange).
    page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # The API docs: Swagger UI from its own script URL, rendering the schema.
    page.goto(base + reverse("api:docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ggzy API")
    expect(page.locator(".opblock").first).to_be_visible()
    context.close()
    assert_no_csp_violation(violations)
