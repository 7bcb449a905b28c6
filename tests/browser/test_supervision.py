"""The regulator's portal in Chromium: from the workbench to the overview, a section's
timeline told by the ledger, a ledger search exported as CSV, the chain verified, the charts
drawn (SVG images that load, inside the Content-Security-Policy), an alert taken through its
case to a conclusion and a complaint accepted on its statutory clock."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.browser.conftest import requires_chromium
from tests.browser.people import log_in
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.security.conftest import MakeWorld, world_at  # noqa: F401
from tests.security.world import World
from tests.supervision.portal.people import person
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = [pytest.mark.browser, requires_chromium, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"supervision-{name}.png", full_page=True)


def test_a_regulator_walks_the_portal(
    world_at: MakeWorld,  # noqa: F811
    live_server: object,
    context: BrowserContext,
) -> None:
    world: World = world_at("closed")
    base = str(live_server.url)  # type: ignore[attr-defined]
    regulator = person(world, "regulator")
    page = log_in(context, base, regulator.username)

    page.locator("#dashboard-supervision a").first.click()
    page.wait_for_url("**" + reverse("supervision:overview"))
    expect(page.locator("#sections")).to_contain_text(world.section.code)
    shot(page, "overview")

    row = page.locator("#sections tr", has_text=world.section.code)
    row.get_by_role("link", name="时间线").click()
    timeline = page.locator("#supervision-timeline")
    expect(timeline).to_contain_text("开标大厅")
    expect(timeline.get_by_text("收到密封投标文件")).to_have_count(3)
    shot(page, "timeline")

    page.goto(base + reverse("supervision:ledger"))
    page.get_by_label("标段编号").fill(world.section.code)
    page.get_by_label("操作（或其开头）").fill("bidding.bid.received")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#ledger-entries tr")).to_have_count(4)  # a header and three bids
    with page.expect_download() as downloading:
        page.get_by_role("link", name="导出 CSV").click()
    table = list(csv.DictReader(io.StringIO(Path(downloading.value.path()).read_text("utf-8"))))
    assert [row["action"] for row in table] == ["bidding.bid.received"] * 3

    page.goto(base + reverse("supervision:ledger_verify"))
    page.get_by_role("button", name="立即验证").click()
    expect(page.locator("#verify-result")).to_contain_text("哈希链完整")

    page.goto(base + reverse("supervision:charts"))
    for name in ("arrivals", "prices", "scores", "alerts"):
        image = page.locator(f"#chart-{name} img")
        expect(image).to_be_visible()
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    shot(page, "charts")

    alert = world.extra["supervision_alert"]
    page.goto(base + reverse("alerts:list"))
    page.locator(f'tr[data-alert="{alert.pk}"] a').click()
    page.get_by_role("button", name="开始调查").click()
    expect(page.locator("#alert dd .badge").first).to_contain_text("调查中")
    page.get_by_role("button", name="以此结论结案").click()  # no conclusion: refused
    expect(page.locator(".messages .error, .errorlist").first).to_contain_text("结论")
    page.locator("#close").get_by_label("结论").fill(
        "两家投标人的保证金由同一账户缴纳，已移送查处。"
    )
    page.get_by_role("button", name="以此结论结案").click()
    expect(page.locator("#conclusion")).to_contain_text("已移送查处")
    shot(page, "alert")

    page.goto(base + reverse("complaints:list"))
    page.locator("#complaints a[href*='/complaints/']").first.click()
    page.locator("#handle").get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("#complaint h1")).to_contain_text("已受理")
    expect(page.locator("#clocks")).to_be_visible()
    shot(page, "complaint")
