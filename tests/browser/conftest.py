"""A headless Chromium for the browser tests: the system's, never a downloaded one.

Without /usr/bin/chromium the tests are skipped on a developer's machine, but fail in CI
(``CI=true``): there a missing browser is a broken pipeline, not a reason to go quiet
(tests/tools.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from tests import tools

CHROMIUM = Path("/usr/bin/chromium")
# The background-networking flags matter: without them Chromium's own connections (updates,
# sync, QUIC probes) are refused in the sandboxed build environment and page loads stall.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_MISSING = f"needs Debian Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"

requires_chromium = tools.requires(CHROMIUM.exists(), _MISSING)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, built to answer plain http.

    Without DEBUG the site redirects http to https, and SecurityMiddleware reads
    SECURE_SSL_REDIRECT once, when the server builds its handler: a per-test override
    would come too late, so the server is started under one.
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _cookies_over_plain_http(settings: Settings) -> None:
    """Without DEBUG the session and CSRF cookies are Secure: a browser on plain http would
    drop them and never stay logged in."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    tools.require(CHROMIUM.exists(), _MISSING)
    # Package scope: Playwright's sync API keeps an asyncio loop running in this thread until
    # it stops, which would break async_to_sync in the tests that run after the browser's.
    # Playwright's sync API keeps an asyncio loop running in this thread, so Django's
    # async-safety check would refuse the ORM calls the tests make to set up data.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


# Every Content-Security-Policy violation in any page or frame becomes a console error that
# the watcher collects (Chromium also logs its own "Refused to …" lines; both are caught).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def watch_csp(context: BrowserContext) -> list[str]:
    """Collects the CSP violations of every page of ``context``; a test asserts it stays empty."""
    violations: list[str] = []
    context.add_init_script(_REPORT_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            where = message.page.url if message.page else "?"
            violations.append(f"{where}: {text}")

    context.on("console", on_console)
    return violations


def assert_no_csp_violation(violations: list[str]) -> None:
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@contextmanager
def watched_context(browser: Browser, **options: Any) -> Iterator[BrowserContext]:
    """A fresh browser profile set up like a visitor from mainland China; no page it shows
    may violate the Content-Security-Policy."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    yield context
    context.close()
    assert_no_csp_violation(violations)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh profile per test."""
    with watched_context(browser, viewport={"width": 1200, "height": 720}) as context:
        yield context.new_page()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test for tests that open several pages or download files."""
    with watched_context(
        browser, viewport={"width": 1280, "height": 900}, accept_downloads=True
    ) as made:
        yield made
