"""Every page a person can reach, as each role, passes axe-core in Chromium (no serious or
critical violation), can be used from the keyboard, names every form control, and the
public pages fit a phone's width without scrolling sideways.

The pages are found, not listed: every route the URL resolvers know (tests/security/routes.py)
is asked for as each role with the objects the authorization matrix names
(tests/security/objects.py), and each one that answers an HTML page is shown in the browser.
Django's admin and the third-party API explorer are left out (docs/accessibility.md).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from ggzy_core.gm import envelope
from realtime import decryption, stages
from realtime.models import BidOpening, Hall
from tests.award.conftest import publicized  # noqa: F401
from tests.award.world import AwardWorld, tenderee_of
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.browser.accessibility import AXE, accessible_name_missing, assert_accessible
from tests.browser.conftest import assert_no_csp_violation, requires_chromium, watch_csp
from tests.realtime.conftest import eager_celery, opening  # noqa: F401
from tests.security import matrix
from tests.security.conftest import MakeWorld, world_at  # noqa: F401
from tests.security.objects import kwargs_for
from tests.security.requests import Caller, path_of
from tests.security.routes import Route, http_routes
from tests.security.world import ROLES as ALL_ROLES
from tests.security.world import STAGES, World
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = [pytest.mark.browser, requires_chromium, pytest.mark.django_db(transaction=True)]

# The roles of issue 13: a visitor, a bidder of the section, its tenderee, the centre's staff,
# an expert and the regulator.
ROLES = ("anonymous", "bidder", "tenderee", "centre", "expert", "regulator")
LEFT_OUT = ("/admin/", "/api/")  # Django's admin, the API and its third-party explorer
PHONE: ViewportSize = {"width": 375, "height": 740}


def may_open(route: Route, role: str, stage: str) -> bool:
    """The authorization matrix allows ``role`` to GET the route at ``stage``. Only such a
    route can show the role a page: the matrix's own test fails for any other cell that
    answers (tests/security/test_authorization_matrix.py), so asking the rest changes no
    verdict — it only cost three requests in four. A route without a row yet is asked."""
    row = matrix.ROWS.get(route.key)
    if row is None:
        return True
    cells = row.cells.get("GET")
    return cells is not None and cells[STAGES.index(stage)][ALL_ROLES.index(role)] == "A"


def html_pages(caller: Caller, world: World, role: str) -> list[tuple[str, bytes]]:
    """The pages ``caller`` (as ``role``) is shown (200, HTML) in ``world``: (path, content)."""
    pages = []
    for route in http_routes():
        if route.pattern.startswith(LEFT_OUT) or (route.methods and "GET" not in route.methods):
            continue
        if not may_open(route, role, world.stage):
            continue
        path = path_of(route, kwargs_for(route.key, route.pattern, world))
        response = caller.send("GET", path)
        if (
            response.status_code == 200
            and response["Content-Type"].startswith("text/html")
            and b"<html" in response.content  # a page, not a fragment a page fetches
        ):
            pages.append((path, response.content))
    return pages


_TEXT = re.compile(r">[^<]+<")
_ATTRIBUTE = re.compile(r'\s([A-Za-z_:][-A-Za-z0-9_:.]*)="[^"]*"')
# What axe's rules read besides text: kept with their values; other values (ids, links,
# names carrying primary keys) are dropped.
_KEPT = ("class", "role", "type", "scope", "lang", "hidden", "disabled", "required")


def layout_of(html: bytes) -> str:
    """The shape of a page's main content: its elements, their roles, classes and ARIA, with
    text and identifiers left out. Two pages of one shape get the same axe verdict, so each
    shape is checked once per world (the header differs by role: checked once per role)."""
    text = html.decode("utf-8", "replace")
    main = text[text.find("<main") : text.rfind("</main>")]
    main = _TEXT.sub(">T<", main)

    def attribute(match: re.Match[str]) -> str:
        name = match[1]
        return match[0] if name in _KEPT or name.startswith("aria-") else f" {name}"

    return hashlib.sha256(_ATTRIBUTE.sub(attribute, main).encode()).hexdigest()


# Counts the page's own requests (fetch, XMLHttpRequest — htmx's — and websockets while they
# connect) and notes when the last one ended: a page has settled once it is loaded, none is
# in flight and none ended in the last QUIET_MS. Playwright's "networkidle" waits a fixed
# 500 ms after the last request of any kind, on every page, whether or not one was made. The
# window covers a request that a response's handler starts (within milliseconds); no page
# script starts one from a timer at start-up (static/js: the hall's and the evaluation's
# websocket retries come a second or more later, past networkidle's 500 ms as well).
_WATCH_REQUESTS = """(() => {
  if (window.__ggzyQuiet) return;
  const quiet = window.__ggzyQuiet = { inflight: 0, last: 0 };
  const start = () => { quiet.inflight += 1; };
  const end = () => { quiet.inflight -= 1; quiet.last = performance.now(); };
  const fetchOriginal = window.fetch;
  window.fetch = function (...args) {
    start();
    return fetchOriginal.apply(this, args).then(
      (response) => { response.clone().arrayBuffer().then(end, end); return response; },
      (error) => { end(); throw error; });
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    start();
    this.addEventListener("loadend", end, { once: true });
    return send.apply(this, args);
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      start();
      let ended = false;
      const once = () => { if (!ended) { ended = true; end(); } };
      this.addEventListener("open", once);
      this.addEventListener("close", once);
    }
  };
})();"""
QUIET_MS = 50
_SETTLED = f"""() => {{
  const loaded = performance.getEntriesByType("navigation")[0]?.loadEventEnd || 0;
  const quiet = window.__ggzyQuiet;
  return loaded > 0 && quiet !== undefined && quiet.inflight === 0
    && performance.now() - Math.max(quiet.last, loaded) >= {QUIET_MS};
}}"""


def watch_requests(context: BrowserContext) -> None:
    context.add_init_script(_WATCH_REQUESTS)


def settle(page: Page) -> None:
    """Waits until the page has loaded and made every request it makes on its own."""
    page.wait_for_function(_SETTLED, polling="raf")


def signed_in(context: BrowserContext, base: str, caller: Caller) -> Page:
    """A page of ``context`` carrying ``caller``'s session (a second factor passed)."""
    context.clear_cookies()
    cookies = [
        {"name": name, "value": value, "url": base} for name, value in caller.cookies.items()
    ]
    if cookies:
        context.add_cookies(cookies)  # type: ignore[arg-type]
    return context.new_page()


def check_pages(
    context: BrowserContext, base: str, role: str, caller: Caller, paths: list[str]
) -> list[str]:
    """Runs every check on each page; returns what failed, page by page."""
    watch_requests(context)
    page = signed_in(context, base, caller)
    failures = []
    for path in paths:
        page.goto(base + path)
        settle(page)
        try:
            assert_accessible(page, f"{path} as {role}")
        except AssertionError as failed:
            failures.append(str(failed))
        unnamed = accessible_name_missing(page)
        if unnamed:
            failures.append(f"{path} as {role}: form controls without a name: {unnamed}")
    page.close()
    return failures


def check_world(context: BrowserContext, base: str, world: World) -> int:
    """Checks each role's pages, each layout once (and each role's first page, for its
    header); returns how many pages were found."""
    failures: list[str] = []
    seen = 0
    checked: set[str] = set()
    for role in ROLES:
        caller = Caller(world.people[role])
        pages = html_pages(caller, world, role)
        seen += len(pages)
        todo = []
        for index, (path, html) in enumerate(pages):
            layout = layout_of(html)
            if index == 0 or layout not in checked:
                checked.add(layout)
                todo.append(path)
        failures += check_pages(context, base, role, caller, todo)
    assert failures == [], "\n\n".join(failures)
    return seen


def test_the_vendored_axe_is_the_release_its_readme_names() -> None:
    readme = (AXE.parent / "README.md").read_text(encoding="utf-8")
    digests = re.findall(r"`([0-9a-f]{64})`", readme)
    assert digests == [hashlib.sha256(AXE.read_bytes()).hexdigest()]
    version = re.search(r"axe-core (\d+\.\d+\.\d+)", readme)
    assert version is not None
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{version[1]}\n")


def test_the_check_fails_on_a_page_with_a_serious_violation(page: Page) -> None:
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main>'
        '<input type="text" name="unnamed"></main></body></html>'
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page, "a broken page")
    assert "label" in str(failed.value) and "input" in str(failed.value)
    assert accessible_name_missing(page) == ['<input type="text" name="unnamed">']


SLOW_FRAGMENT_PAGE = b"""<html lang="en"><head><title>t</title></head><body><main>
<script>
  fetch("/fragment").then((r) => r.text()).then((html) => {
    document.querySelector("main").insertAdjacentHTML("beforeend", html);
  });
</script></main></body></html>"""


class _SlowFragments(BaseHTTPRequestHandler):
    """A page that fetches a fragment, and the fragment, half a second late."""

    def do_GET(self) -> None:
        if self.path == "/fragment":
            time.sleep(0.5)  # ten quiet windows
            body = b'<input type="text" name="late">'
        else:
            body = SLOW_FRAGMENT_PAGE
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_the_check_waits_for_what_a_page_fetches_after_it_has_loaded(
    context: BrowserContext,
) -> None:
    """A fragment that arrives well after the load event (longer than the quiet window) is
    on the page before axe runs: a violation in it fails the check."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowFragments)  # a port the system picks
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        watch_requests(context)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/page")
        settle(page)
        with pytest.raises(AssertionError) as failed:
            assert_accessible(page, "a page with a late fragment")
        assert "late" in str(failed.value)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_every_page_of_a_tender_in_its_bidding_period_is_accessible_to_every_role(
    world_at: MakeWorld,  # noqa: F811
    live_server: LiveServer,
    context: BrowserContext,
) -> None:
    seen = check_world(context, live_server.url, world_at("before"))
    assert seen > 40  # the world's pages were found, not skipped


@pytest.mark.slow
def test_every_page_of_an_opened_tender_is_accessible_to_every_role(
    world_at: MakeWorld,  # noqa: F811
    live_server: LiveServer,
    context: BrowserContext,
) -> None:
    """The hall closed with its record, deposits due back, an expert seated and evaluating,
    an alert raised, a complaint lodged, a credit record entered."""
    seen = check_world(context, live_server.url, world_at("closed"))
    assert seen > 60


def test_the_award_pages_of_a_publicized_result_are_accessible(
    publicized: AwardWorld,  # noqa: F811
    live_server: LiveServer,
    context: BrowserContext,
) -> None:
    code = publicized.section.code
    paths = [reverse("award:result", args=[code]), reverse("award:notices")]
    failures = check_pages(context, live_server.url, "anonymous", Caller(None), paths)
    bidder = publicized.bidders[0].person
    failures += check_pages(
        context,
        live_server.url,
        "bidder",
        Caller(bidder),
        [*paths, reverse("award:objections", args=[code])],
    )
    failures += check_pages(
        context,
        live_server.url,
        "tenderee",
        Caller(tenderee_of(publicized.section)),
        [reverse("award:manage", args=[code]), reverse("award:objections", args=[code])],
    )
    assert failures == [], "\n\n".join(failures)


def test_the_first_tab_stop_skips_to_the_main_content_and_focus_is_visible(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + reverse("trading:announcements"))
    page.keyboard.press("Tab")
    skip = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(),"
        " href: document.activeElement.getAttribute('href'),"
        " outline: getComputedStyle(document.activeElement).outlineStyle,"
        " visible: document.activeElement.matches(':focus-visible')})"
    )
    assert skip["href"] == "#main" and skip["text"]
    assert skip["visible"] and skip["outline"] != "none", skip
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next stop is inside the main content, past the header
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def test_every_tab_stop_of_a_page_shows_where_the_focus_is(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + reverse("accounts:register"))
    stops = []
    for _ in range(30):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            "() => { const el = document.activeElement;"
            " return [el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 20),"
            " getComputedStyle(el).outlineStyle]; }"
        )
        if stop[0].startswith("BODY"):
            break  # round the page once
        stops.append(stop)
    assert len(stops) > 5  # the skip link, the header's links, the language, the form's fields
    assert [stop for stop in stops if stop[1] == "none"] == []


def test_the_language_switch_waits_for_enter_from_the_keyboard(
    page: Page, live_server: LiveServer
) -> None:
    """Arrow keys move through the languages without leaving the page; Enter switches."""
    page.goto(live_server.url + reverse("trading:announcements"))
    switch = page.locator("select[name=language]")
    switch.focus()
    current = switch.input_value()
    page.keyboard.press("ArrowDown" if current.startswith("zh") else "ArrowUp")
    page.wait_for_timeout(300)
    assert switch.input_value() != current  # the choice moved…
    assert page.evaluate("() => document.documentElement.lang") == current  # …the page stayed
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("() => document.documentElement.lang") != current


def test_the_hall_announces_a_new_stage_in_its_events_log(
    world_at: MakeWorld,  # noqa: F811
    live_server: LiveServer,
    page: Page,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The countdown is a timer (never read out each second); a stage change is added to a
    polite log that screen readers announce."""
    world = world_at("opening")  # the decryption window
    page.goto(live_server.url + reverse("realtime:hall", args=[world.section.code]))
    log = page.locator("#hall-log")
    expect(page.locator("#hall-countdown")).to_have_attribute("role", "timer")
    expect(log).to_have_attribute("role", "log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.locator("#hall-countdown")).not_to_be_empty()
    expect(log.locator("p")).to_have_count(0)  # the stage first shown is on the badge
    badge = page.locator("#hall-stage")
    expect(badge).not_to_be_empty()
    decrypting = badge.text_content() or ""
    current = Hall.objects.get(section=world.section)
    with django_capture_on_commit_callbacks(execute=True):
        for bidder in world.bidders:
            manifest = envelope.read_manifest(io.BytesIO(bidder.extra_data))  # type: ignore[attr-defined]
            decryption.submit_key(
                opening=BidOpening.objects.get(bid__organisation=bidder.organisation),
                person=bidder.person,
                content_key=envelope.unwrap_content_key(manifest, bidder.key),
            )
    host = world.people["centre"]
    assert host is not None
    stages.enter_next(hall=current, person=host)  # the reading
    expect(badge).not_to_have_text(decrypting)  # polled: the page has no websocket here
    expect(log.locator("p")).to_have_count(1)
    expect(log.locator("p")).to_contain_text(badge.text_content() or "?")


PHONE_PAGES = ("home", "announcements", "section", "results", "opendata", "hall")


def test_the_public_pages_fit_a_phone_without_scrolling_sideways(
    world_at: MakeWorld,  # noqa: F811
    live_server: LiveServer,
    browser: Browser,
) -> None:
    code = world_at("closed").section.code
    paths = [
        reverse("home"),
        reverse("trading:announcements"),
        reverse("trading:section", args=[code]),
        reverse("award:notices"),
        reverse("opendata:index"),
        reverse("realtime:hall", args=[code]),
    ]
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True, has_touch=True
    )
    violations = watch_csp(context)
    watch_requests(context)
    page = context.new_page()
    too_wide = []
    for path in paths:
        page.goto(live_server.url + path)
        settle(page)
        wide, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if wide > inner + 1:
            too_wide.append(f"{path} is {wide}px wide on a {inner}px phone")
        assert_accessible(page, f"{path} on a phone")
    context.close()
    assert too_wide == []
    assert_no_csp_violation(violations)
