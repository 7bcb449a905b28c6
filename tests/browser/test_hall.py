"""The opening hall page. Above all: three bidders and a host complete an opening in four
headless Chromium profiles, against a real daphne (websockets) and a real Celery worker
(decryption), all on the test database and the real clock — sign in, decrypt in the browser
with each bidder's own bid file and key file, read out, confirm or object with signatures
made in the browser, an objection answered on the spot, the signed record. Also: without
websockets (pytest-django's WSGI live server) the page polls and still follows the hall."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Person, Role
from bidding.models import Bid
from ggzy import clock, signing
from ggzy_core.reading import reading_message
from ggzy_core.record import verify_record
from realtime import attendance, stages
from realtime.models import (
    Confirmation,
    Hall,
    HallObjection,
    HallStage,
    OpeningStatus,
    SignIn,
)
from tests import servers
from tests.bidding.conftest import Bidder, make_bidder, open_for_bids, seal_bid, upload_whole
from tests.browser.conftest import assert_no_csp_violation, requires_chromium, watch_csp
from tests.browser.people import log_in
from tests.factories import PersonFactory
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section, SectionStatus

SCREENSHOTS = Path(django_settings.VAR_DIR) / "screenshots"
PRICES = ["40850000.00", "41850000.00", "42850000.00"]
SHOWN = ["40,850,000.00", "41,850,000.00", "42,850,000.00"]
KEY_PASSWORD = "钥匙 password 2"
# Events a worker emits reach daphne's clients by its 5 s catch-up (without Redis the
# channel layer is per process), so waits allow for a few heartbeats.
LIVE = 30_000


@dataclass
class Participant:
    page: Page
    bidder: Bidder | None = None
    bid_file: Path | None = None
    key_file: Path | None = None
    password: str = ""


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"hall-{name}.png", full_page=True)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made = [
        browser.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
        )
        for _ in range(4)
    ]
    violations = []
    for context in made:
        context.set_default_timeout(15_000)
        violations.append(watch_csp(context))
    yield made
    for context in made:
        context.close()
    assert_no_csp_violation([line for seen in violations for line in seen])


@pytest.mark.django_db
def test_the_hall_page_is_public_once_the_section_is_published(
    published: Section,  # noqa: F811
) -> None:
    page = Client().get(reverse("realtime:hall", args=[published.code]))
    assert page.status_code == 200
    assert page.context["config"]["api"] == reverse("api:hall", args=[published.code])
    assert "csrfmiddlewaretoken" in page.content.decode()
    assert Client().get(reverse("realtime:hall", args=["NO-SUCH-SECTION"])).status_code == 404


@pytest.mark.django_db
def test_a_draft_sections_hall_page_does_not_exist_for_the_public(draft: Section) -> None:  # noqa: F811
    assert Client().get(reverse("realtime:hall", args=[draft.code])).status_code == 404


@pytest.mark.browser
@requires_chromium
def test_without_websockets_the_page_polls_and_still_follows_the_hall(
    page: Page,
    live_server: LiveServer,
    published: Section,  # noqa: F811
) -> None:
    """pytest-django's live server speaks WSGI only: the page says so and polls."""
    page.goto(live_server.url + reverse("realtime:hall", args=[published.code]))
    expect(page.locator("#hall-stage")).to_have_text("等待开标")
    expect(page.locator("#hall-connection")).to_have_text("实时连接不可用，每 2 秒刷新一次")
    expect(page.locator("#hall-role")).to_have_text("旁观")
    expect(page.locator("#hall-countdown")).to_have_text(re.compile(r"^\d+天 \d\d:\d\d:\d\d$"))
    stages.fail_hall(published, "test: cancelled")
    expect(page.locator("#hall-stage")).to_have_text("未开标（流标）")


@pytest.mark.browser
@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_three_bidders_and_a_host_open_the_bids_in_the_hall_page(
    contexts: list[BrowserContext],
    published: Section,  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
) -> None:
    names = ["江南建工集团有限公司", "长江路桥工程有限公司", "金陵市政建设有限公司"]
    bidders = [make_bidder(name) for name in names]
    for index, bidder in enumerate(bidders):
        Person.objects.filter(pk=bidder.person.pk).update(username=f"hall-bidder-{index}")
    PersonFactory.create(username="hall-host", organisation=holders.centre, role=Role.STAFF)
    files = [
        seal_bid(published, bidder, tmp_path, price=price)
        for bidder, price in zip(bidders, PRICES, strict=True)
    ]

    with ExitStack() as running:
        # Both on this run's broker folder (or on Redis when REDIS_URL is set).
        daphne = running.enter_context(servers.daphne(tmp_path))
        worker = running.enter_context(servers.celery_worker(tmp_path))
        section = open_for_bids(published, closes_in=dt.timedelta(seconds=12))
        for bidder, data in zip(bidders, files, strict=True):
            assert upload_whole(bidder.client(), section, data).status_code == 204

        base = daphne.url
        hall_url = base + reverse("realtime:hall", args=[section.code])
        host = Participant(log_in(contexts[0], base, "hall-host"))
        people: list[Participant] = []
        for index, (bidder, data) in enumerate(zip(bidders, files, strict=True)):
            bid_file = tmp_path / f"bid-{index}.gbid"
            bid_file.write_bytes(data)
            key_file = tmp_path / f"key-{index}.pem"
            # The second company keeps its key encrypted, as ggzy-bid keygen writes it.
            password = KEY_PASSWORD if index == 1 else ""
            key_file.write_bytes(
                bidder.key.to_pem(password.encode(), iterations=100_000)
                if password
                else bidder.key.to_pem()
            )
            page = log_in(contexts[index + 1], base, f"hall-bidder-{index}")
            people.append(Participant(page, bidder, bid_file, key_file, password))
        everyone = [host, *people]
        for person in everyone:
            person.page.goto(hall_url)
            expect(person.page.locator("#hall-connection")).to_have_class("conn live")
        expect(host.page.locator("#hall-stage")).to_have_text("等待开标")
        expect(host.page.locator("#hall-countdown-label")).to_have_text("距开标还有")
        expect(host.page.locator("#hall-role")).to_have_text("主持人")
        # Before the opening nobody has an opening row: bidders watch like anyone else.
        expect(people[0].page.locator("#watcher-panel")).to_be_visible()

        # The deadline passes. The worker's ETA tick may open the hall first; the test ticks
        # too (idempotent either way) and checks the outcome, not who applied it.
        time.sleep(max(0.0, (section.bid_deadline - clock.now()).total_seconds()) + 0.3)
        chronograph.apply_time_events(section.pk)
        section.refresh_from_db()
        assert section.status == SectionStatus.OPENING
        for person in everyone:
            expect(person.page.locator("#hall-stage")).to_have_text("签到", timeout=LIVE)
            expect(person.page.locator("#bidders-body tr")).to_have_count(3)
        expect(people[0].page.locator("#hall-role")).to_have_text("投标人")

        for person in people:
            # What signing in means is on the page before the click; after it, the server's
            # answer: the very words `ggzy-bid signin` prints (realtime.attendance).
            expect(person.page.locator("#sign-in-rule")).to_have_text(attendance.SIGN_IN_RULE)
            person.page.locator("#sign-in").click()
            expect(person.page.locator("#bidder-status")).to_contain_text("已签到（")
            assert person.bidder is not None
            signed = SignIn.objects.get(hall__section=section, person=person.bidder.person)
            expect(person.page.locator("#bidder-status")).to_have_text(
                attendance.signed_in_message(signed.signed_in_at)
            )
        for person in everyone:
            expect(person.page.locator("#bidders-body tr", has_text="✓")).to_have_count(3)

        advance = host.page.locator("#advance")
        expect(advance).to_have_text("下一步：投标人名单")
        advance.click()
        expect(host.page.locator("#hall-stage")).to_have_text("投标人名单")
        expect(advance).to_have_text("下一步：解密")
        advance.click()
        for person in everyone:
            expect(person.page.locator("#hall-stage")).to_have_text("解密")
            expect(person.page.locator("#hall-countdown-label")).to_have_text("本阶段剩余时间")

        # Each bidder decrypts in its own browser, with its own bid file and key file.
        first = people[0].page
        expect(first.locator("#unlock-box")).to_be_visible()
        expect(first.locator("#key-box")).to_contain_text("私钥不会离开本浏览器")
        shot(first, "bidder-decryption")
        # Another company's key does not open this bid: said in the page, nothing is sent.
        first.set_input_files("#bid-file", str(people[0].bid_file))
        first.set_input_files("#key-file", str(people[2].key_file))
        first.locator("#unlock").click()
        expect(first.locator("#bidder-status")).to_contain_text("不是这份投标文件的接收方")
        expect(first.locator("#bidders-body .status.pending")).to_have_count(3)
        for person in people:
            page = person.page
            assert person.bid_file and person.key_file
            page.set_input_files("#bid-file", str(person.bid_file))
            page.set_input_files("#key-file", str(person.key_file))
            if person.password:
                page.locator("#key-password").fill(person.password)
            page.locator("#unlock").click()
            expect(page.locator("#bidder-status")).to_have_text(
                "内容密钥已接受：正在解密您的投标。", timeout=LIVE
            )
        for person in everyone:
            expect(person.page.locator("#bidders-body .status.decrypted")).to_have_count(
                3, timeout=90_000
            )
            expect(person.page.locator("#bidders-body")).to_contain_text("已解密")
        assert worker.poll() is None

        advance.click()  # the reading
        for person in everyone:
            expect(person.page.locator("#hall-stage")).to_have_text("唱标", timeout=LIVE)
            for shown in SHOWN:
                expect(person.page.locator("#reading-body")).to_contain_text(shown)
            expect(person.page.locator("#reading-body")).to_contain_text("王工")
            expect(person.page.locator("#reading-ceiling")).to_have_text("48,000,000.00")
        shot(host.page, "host-reading")

        advance.click()  # confirmation
        expect(people[0].page.locator("#answer-box")).to_be_visible(timeout=LIVE)
        shot(people[0].page, "bidder-confirmation")
        for person in people[:2]:
            expect(person.page.locator("#answer-box")).to_be_visible(timeout=LIVE)
            person.page.locator("#confirm").click()
            expect(person.page.locator("#bidder-status")).to_have_text("您已签名确认唱标结果。")
        objector = people[2].page
        expect(objector.locator("#answer-box")).to_be_visible(timeout=LIVE)
        objector.locator("#object").click()
        expect(objector.locator("#bidder-status")).to_have_text("您已签名对唱标结果提出异议。")
        objector.locator("#objection-text").fill("第三标报价的工期单位应为日历天，请核实。")
        objector.locator("#raise-objection").click()
        expect(objector.locator("#bidder-status")).to_have_text("异议已提交。")
        shot(objector, "bidder-objection")

        objection = host.page.locator("#objections-list li", has_text="请核实")
        expect(objection).to_be_visible(timeout=LIVE)
        objection.locator("textarea").fill("经核实，工期为 540 日历天，唱标结果无误。")
        objection.get_by_role("button", name="答复").click()
        for person in everyone:
            expect(person.page.locator("#objections-list")).to_contain_text(
                "唱标结果无误", timeout=LIVE
            )
            expect(person.page.locator("#reading-body .status.confirm")).to_have_count(2)
            expect(person.page.locator("#reading-body .status.object")).to_have_count(1)

        advance.click()  # objections
        expect(host.page.locator("#hall-stage")).to_have_text("异议")
        advance.click()  # closed: the record is signed
        for person in everyone:
            expect(person.page.locator("#hall-stage")).to_have_text("已结束", timeout=LIVE)
            expect(person.page.locator("#record-link")).to_be_visible(timeout=LIVE)
        record_link = host.page.locator("#record-link")
        expect(record_link).to_have_attribute(
            "href", reverse("api:hall-record", args=[section.code]) + "?format=pdf"
        )
        shot(host.page, "host-closed")
        shot(people[0].page, "bidder-closed")
        href = record_link.get_attribute("href")
        assert href
        pdf = host.page.request.get(base + href)
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        closed = Hall.objects.get(section=section)
        record_json = host.page.request.get(base + href.replace("pdf", "json"))
        assert record_json.ok and record_json.body() == bytes(closed.record_json or b"")
        signature_href = host.page.locator("#record-signature").get_attribute("href")
        assert signature_href
        signature = host.page.request.get(base + signature_href)
        assert signature.ok and signature.json() == closed.record_signature

    section.refresh_from_db()
    assert section.status == SectionStatus.EVALUATION
    hall = Hall.objects.get(section=section)
    assert hall.stage == HallStage.CLOSED
    openings = {o.bid_id: o for o in hall.openings.all()}
    for bidder, price in zip(bidders, PRICES, strict=True):
        opening = openings[Bid.objects.get(organisation=bidder.organisation).pk]
        assert opening.status == OpeningStatus.DECRYPTED and opening.key_source == "bidder"
        assert opening.sheet is not None and opening.sheet["price"] == price
    message = reading_message(hall.reading_sm3)
    answers = {c.organisation_id: c for c in Confirmation.objects.filter(hall=hall)}
    assert [answers[b.organisation.pk].decision for b in bidders] == [
        "confirm",
        "confirm",
        "object",
    ]
    for bidder in bidders:
        answer = answers[bidder.organisation.pk]
        assert answer.reading_sm3 == hall.reading_sm3
        assert bidder.key.public_key().verify(message, bytes(answer.signature))
    raised = HallObjection.objects.get(hall=hall)
    assert raised.organisation == bidders[2].organisation and raised.answered_at
    assert raised.answer == "经核实，工期为 540 日历天，唱标结果无误。"
    assert hall.record_json and hall.record_signature
    assert verify_record(
        bytes(hall.record_json), hall.record_signature, signing.platform_public_key()
    )
