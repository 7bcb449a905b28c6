"""Each role's workbench in Chromium: its panels, the charts drawn by Chart.js on their
canvases, a panel refreshed by htmx — all inside the Content-Security-Policy — and a
screenshot of each (docs/screenshots/workbench-<role>.png, 1200×800, in Chinese)."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.browser.conftest import assert_no_csp_violation, requires_chromium, watch_csp
from tests.browser.people import log_in
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.security.conftest import MakeWorld, world_at  # noqa: F401
from tests.supervision.portal.people import person
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = [pytest.mark.browser, requires_chromium, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Each role's panels (their keys), and how many charts its workbench draws at least.
ROLES = {
    "bidder": (["halls", "deadlines", "bids", "deposits", "refunds", "results"], 0),
    "tenderee": (["halls", "objections", "sections", "award", "clarifications"], 1),
    "centre": (["halls", "draws", "refunds-due", "alerts", "archives", "stages"], 2),
    "regulator": (["halls", "complaints", "alerts", "chronograph", "stages"], 2),
    "expert": (["calls", "evaluations"], 0),
}


@pytest.fixture
def profiles(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    violations: list[list[str]] = []

    def new() -> BrowserContext:
        context = browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1200, "height": 800}
        )
        context.set_default_timeout(15_000)
        violations.append(watch_csp(context))
        opened.append(context)
        return context

    yield [new() for _ in ROLES]
    for context in opened:
        context.close()
    assert_no_csp_violation([line for seen in violations for line in seen])


def test_each_role_works_from_its_workbench(
    world_at: MakeWorld, live_server: object, profiles: list[BrowserContext]
) -> None:
    world = world_at("closed")
    base = str(live_server.url)  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for context, (role, (keys, charts)) in zip(profiles, ROLES.items(), strict=True):
        page = log_in(context, base, person(world, role).username)
        for key in keys:
            expect(page.locator(f"#panel-{key}")).to_be_visible()
        drawn = page.locator("canvas[data-drawn='yes']")
        if charts:
            expect(drawn.first).to_be_visible()
            assert drawn.count() >= charts, role
            # Drawn, its table is still there for screen readers, out of sight.
            expect(page.locator("table.wb-figures.visually-hidden").first).to_be_attached()
        first = page.locator(".wb-panel").first
        panel_id = first.get_attribute("id")
        assert panel_id is not None
        with page.expect_response(lambda r: "/dashboard/panels/" in r.url and r.ok):
            first.locator(".wb-refresh").click()  # htmx swaps the panel in place
        expect(page.locator(f"#{panel_id}")).to_be_visible()
        page.locator("#workbench").scroll_into_view_if_needed()
        page.evaluate("window.scrollTo(0, document.getElementById('workbench').offsetTop - 8)")
        page.screenshot(path=SCREENSHOTS / f"workbench-{role}.png")
