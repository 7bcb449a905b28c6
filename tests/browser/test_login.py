"""A bidder logs in through a real browser and finds its workbench, in Chinese and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import OrganisationKind, Role
from tests.browser.conftest import requires_chromium
from tests.factories import TEST_PASSWORD, OrganisationFactory, PersonFactory, credit_code

pytestmark = [pytest.mark.browser, requires_chromium]

SCREENSHOT = Path(django_settings.VAR_DIR) / "screenshots" / "dashboard.png"


def test_a_bidder_logs_in_and_sees_its_workbench(page: Page, live_server: LiveServer) -> None:
    code = credit_code()
    PersonFactory(
        username="jiangnan",
        display_name="王建国",
        organisation=OrganisationFactory(
            name="江南建工集团有限公司", credit_code=code, kind=OrganisationKind.BIDDER
        ),
        role=Role.BIDDER,
        is_organisation_admin=True,
    )

    page.goto(live_server.url + reverse("accounts:login"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_label("用户名").fill("jiangnan")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()

    page.wait_for_url("**" + reverse("accounts:dashboard"))
    dashboard = page.locator("#dashboard")
    expect(dashboard.get_by_role("heading")).to_have_text("我的工作台")
    expect(dashboard).to_contain_text("江南建工集团有限公司")
    expect(dashboard).to_contain_text(code)
    expect(dashboard).to_contain_text("投标人")
    expect(dashboard).to_contain_text("未绑定")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_label("语言").select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(dashboard.get_by_role("heading")).to_have_text("My workbench")
    expect(dashboard).to_contain_text("Bidder")
    expect(dashboard).to_contain_text(code)
    expect(page.get_by_role("button", name="Log out (王建国)")).to_be_visible()
