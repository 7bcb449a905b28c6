"""People in the browser, shared by the browser tests: a Chromium profile per person (set
up like a visitor from mainland China, its Content-Security-Policy violations collected) and
signing in through the login page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import assert_no_csp_violation, watch_csp
from tests.factories import TEST_PASSWORD


def log_in(context: BrowserContext, base: str, username: str) -> Page:
    """A new page of ``context``, signed in as ``username`` on its workbench."""
    page = context.new_page()
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    page.wait_for_url("**" + reverse("accounts:dashboard"))
    return page


@dataclass
class Profiles:
    """Browser profiles opened one per person; closed together, and then no page any of them
    showed may have violated the Content-Security-Policy."""

    browser: Browser
    width: int = 1200
    height: int = 800
    opened: list[BrowserContext] = field(default_factory=list)
    violations: list[list[str]] = field(default_factory=list)

    def new(self) -> BrowserContext:
        context = self.browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": self.width, "height": self.height},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        self.violations.append(watch_csp(context))
        self.opened.append(context)
        return context

    def close(self) -> None:
        for context in self.opened:
            context.close()
        assert_no_csp_violation([line for seen in self.violations for line in seen])
