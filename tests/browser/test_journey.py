"""The whole tender in headless Chromium, through the pages each person uses (issue 13).

A tenderee publishes a section; three bidders cover their deposits (two in cash through the
bank simulator, one with an electronic guarantee from the issuer simulator), seal their bids
with ``ggzy-bid`` and submit them; the deadline passes and the hall opens: each bidder
decrypts its own bid in the page, the prices are read, two confirm and one objects, the host
answers; the centre draws five experts, who confirm, evaluate, score and sign the report;
the candidates are publicized, a bidder objects and the tenderee answers; after publicity the
award notice is issued and the contract recorded with its PDF; the cash deposits go back with
interest; the regulator verifies the ledger and checks the sealed archive offline.

The processes are the real ones (tests/servers.py): pytest-django's live server for the
pages before and after the opening, daphne (websockets) and a Celery worker for the hall and
the evaluation, the bank and issuer simulators over HTTP. The clock moves forward only, for
every process at once (tests/browser/timeline.py): weeks pass in seconds. Screenshots of each
role's pages go to var/journey-screenshots/; with ``GGZY_JOURNEY_README=1`` the best ones
are written to docs/screenshots/journey-*.png as well (docs/journey.md).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.models import Person, Role
from accounts.second_factor import current_code, enrol_confirmed
from award.models import Award, AwardStatus, Publicity, ResultObjection
from bidding.models import Bid
from deposits import guarantees, reference_data
from deposits.guarantee_terms import required_until
from deposits.models import BankLine, Guarantee, IssuerKind, Refund, RefundReason, RefundStatus
from experts.models import Draw, Evaluation, EvaluationStatus, Expert, Seat, SeatStatus
from ggzy import clock, signing
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING
from realtime.models import Confirmation, Hall, HallObjection, HallStage, OpeningStatus
from supervision.archive.models import Archive
from tests import servers
from tests.bidding.conftest import Bidder, make_bidder
from tests.browser.accessibility import assert_accessible
from tests.browser.bidder_tool import Sealed, seal_and_submit
from tests.browser.conftest import requires_chromium
from tests.browser.people import Profiles, log_in
from tests.browser.sealing import seal_in_browser
from tests.browser.test_award import record_contract
from tests.browser.test_evaluation import said, submit, vote, zh
from tests.browser.timeline import Timeline
from tests.experts.evaluation_world import library
from tests.factories import PersonFactory
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.trading.conftest import Holders, holders, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section, SectionStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.journey,
    pytest.mark.slow,
    requires_chromium,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "journey-screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
BANK_SECRET = "journey-bank-secret"
DEPOSIT = Decimal("800000.00")
OPENING_BALANCE = "1000000.00"  # each cash bidder's basic account at the bank
KEY_PASSWORD = "钥匙 password 2"  # bidder 2 keeps its key encrypted, as ggzy-bid keygen does
COMPANIES = ["江南建工集团有限公司", "长江路桥工程有限公司", "金陵市政建设有限公司"]
BASIC_ACCOUNTS = ["6222000011110001", "6222000011110002", ""]  # bidder 3: a guarantee
PRICES = ["40850000.00", "41850000.00", "42850000.00"]
SHOWN = ["40,850,000.00", "41,850,000.00", "42,850,000.00"]
CRITERIA = "技术方案 | 40\n施工组织 | 30\n报价 | 30"
# Bid number → points per criterion, the same for every member: bid 3 scores 93, bid 1 70,
# bid 2 56 — the first candidate is the third bidder (the one with the guarantee).
POINTS = {1: ["30", "20", "20"], 2: ["25", "15", "16"], 3: ["38", "27", "28"]}
HALL_OBJECTION = "第三标报价的工期单位应为日历天，请核实。"
HALL_ANSWER = "经核实，工期为 540 日历天，唱标结果无误。"
RESULT_OBJECTION = "第一中标候选人业绩不满足要求，请复核。"
RESULT_ANSWER = "经复核，业绩满足招标文件要求，异议不成立。"
# What a worker or the test process changes reaches daphne's pages by their catch-up
# heartbeats (5–10 s; without Redis each process has its own channel layer).
LIVE = 30_000
RATE = Decimal("0.0035")
SIGNATURE_WINDOW = 60 * 86400  # seconds: more than the journey's weeks


@dataclass
class Company:
    bidder: Bidder
    basic_account: str
    key_file: Path
    password: str
    page: Page | None = None
    sealed: Sealed | None = None

    @property
    def username(self) -> str:
        return self.bidder.person.username


@dataclass
class Journey:
    """Everything the steps share: the people, their browser profiles, the processes."""

    base: str  # the live server
    profiles: Profiles
    timeline: Timeline
    tmp: Path
    holders: Holders
    tenderee: Person
    host: Person  # the centre's staff member: hosts the hall, draws the experts
    regulator: Person
    companies: list[Company]
    bank: servers.BankSimulator
    issuer: servers.IssuerSimulator
    experts: list[Expert] = field(default_factory=list)
    devices: list[TOTPDevice] = field(default_factory=list)
    expert_keys: list[Path] = field(default_factory=list)
    section: Section | None = None
    pages: dict[str, Page] = field(default_factory=dict)

    @property
    def the_section(self) -> Section:
        assert self.section is not None
        self.section.refresh_from_db()
        return self.section

    def sign_in(self, role: str, username: str, base: str | None = None) -> Page:
        """``role``'s page on ``base`` (a new profile per server: a session per process)."""
        page = log_in(self.profiles.new(), base or self.base, username)
        self.pages[role] = page
        return page


def shot(page: Page, name: str, *, readme: str = "", focus: str = "") -> None:
    """A role's main page: accessible (axe-core: no serious or critical violation), and
    saved as the person sees it to var/journey-screenshots/ (and, asked to, the README's
    docs/screenshots/journey-<readme>.png at 1200×800)."""
    assert_accessible(page, f"the journey's {name}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    if readme and os.environ.get("GGZY_JOURNEY_README") == "1":
        if focus:  # the part of a long page the picture is about, at the top
            page.locator(focus).evaluate("element => element.scrollIntoView()")
        page.screenshot(path=README_SHOTS / f"journey-{readme}.png")


def reload_until(page: Page, selector: str, attribute: str, value: str, *, tries: int = 40) -> None:
    """Reload ``page`` until ``selector`` carries ``attribute=value`` (pages that do not
    update themselves: the deposit notice learns of the bank's callback on the next load)."""
    for _ in range(tries):
        if page.locator(selector).get_attribute(attribute) == value:
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(selector)).to_have_attribute(attribute, value)


# --- 1. The tenderee publishes ------------------------------------------------------------


def tenderee_publishes(journey: Journey) -> Section:
    page = journey.sign_in("tenderee", journey.tenderee.username)
    shot(page, "01-tenderee-workbench")
    page.goto(journey.base + reverse("trading:my_sections"))
    project = page.locator("form").filter(has=page.locator("input[name=code]"))
    project.locator("input[name=code]").fill("GGZY-2026-J01")
    project.locator("input[name=name]").fill("示范市滨江路改造工程")
    project.locator("select[name=centre]").select_option(str(journey.holders.centre.pk))
    project.locator("select[name=regulator]").select_option(str(journey.holders.regulator.pk))
    with page.expect_navigation():
        project.locator("button[type=submit]").click()

    # Documents from now; the deadline 20 days and an hour later [L24]. Platform time.
    now = clock.now().astimezone(BEIJING).replace(second=0, microsecond=0)
    form = page.locator("form").filter(has=page.locator("input[name=bid_deadline]"))
    form.locator("input[name=name]").fill("施工一标段")
    form.locator("select[name=category]").select_option("works")
    form.locator("input[name=estimated_price]").fill("50000000.00")
    form.locator("input[name=price_ceiling]").fill("48000000.00")
    form.locator("input[name=bid_deposit]").fill(str(DEPOSIT))
    form.locator("input[name=documents_from]").fill(f"{now:%Y-%m-%dT%H:%M}")
    deadline = now + dt.timedelta(days=20, hours=1)
    form.locator("input[name=bid_deadline]").fill(f"{deadline:%Y-%m-%dT%H:%M}")
    form.locator("select[name=evaluation_method]").select_option("comprehensive")
    form.locator("textarea[name=evaluation_criteria]").fill(CRITERIA)
    # The dealt fallback: this journey is about bidding (tests/trading/test_ceremony*.py and
    # the ggzy-bid end-to-end test run the holders' ceremony).
    form.locator("select[name=opening_key_mode]").select_option("dealt")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("草稿")
    section = Section.objects.get(project__code="GGZY-2026-J01")
    assert section.bid_deadline == deadline

    documents = tmp_file(journey.tmp / "招标文件.pdf", b"%PDF-1.7\n% tender documents\n")
    upload = page.locator("form[enctype='multipart/form-data']")
    upload.locator("input[name=file]").set_input_files(str(documents))
    with page.expect_navigation():
        upload.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("招标文件")
    with page.expect_navigation():
        page.locator("#publish").click()
    # The documents are out from now: published and, at once, taking bids.
    expect(page.locator("#status")).to_have_text("投标中")
    section.refresh_from_db()
    assert section.status == SectionStatus.BIDDING and section.opening_key_pem
    expect(page.locator("main")).to_contain_text(section.opening_key_fingerprint)
    shot(page, "02-tenderee-section", readme="tenderee")
    return section


def tmp_file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# --- 2. Three bidders: deposits, sealed bids ------------------------------------------------


def bidders_pay_and_bid(journey: Journey) -> None:
    section = journey.the_section
    for index, company in enumerate(journey.companies):
        page = journey.sign_in(f"bidder-{index + 1}", company.username)
        company.page = page
        if index == 0:
            shot(page, "03-bidder-workbench")
        # The public announcement, as anyone reads it.
        page.goto(journey.base + reverse("trading:section", args=[section.code]))
        expect(page.locator("main")).to_contain_text(section.code)
        if index == 0:
            shot(page, "04-bidder-announcement")
        if company.basic_account:
            pay_cash(journey, company, section)
        else:
            submit_guarantee(journey, company, section)

    sheets = [
        {"price": price, "duration_days": 540, "quality": "合格", "project_manager": "王工"}
        for price in PRICES
    ]
    for index, company in enumerate(journey.companies[:2]):
        company.sealed = seal_with_the_tool(journey, company, section, sheets[index])
    # Bidder 3 has no tool: it seals in the browser, and saves the sealed file the page
    # offers (it needs it in the hall) and the receipt.
    third = journey.companies[2]
    third.sealed = seal_in_the_page(journey, third, section, sheets[2])

    for company in journey.companies:
        bid = Bid.objects.get(section=section, organisation=company.bidder.organisation)
        assert company.sealed is not None
        assert bid.received_at < section.bid_deadline
        # The bidder's own list shows its bid.
        own = company.page
        assert own is not None
        own.goto(journey.base + reverse("bidding:my_bids"))
        expect(own.locator("main")).to_contain_text(section.code)
    shot(journey.companies[0].page or journey.pages["bidder-1"], "07-bidder-my-bids")
    assert Bid.objects.filter(section=section).count() == 3
    # Before the deadline the tenderee learns nothing of who bid [E21, E27].
    manager = journey.pages["tenderee"]
    manager.goto(journey.base + reverse("trading:manage", args=[section.pk]))
    expect(manager.locator("#status")).to_have_text("投标中")
    for name in COMPANIES:
        expect(manager.locator("main")).not_to_contain_text(name)


def pay_cash(journey: Journey, company: Company, section: Section) -> None:
    page = company.page
    assert page is not None
    page.goto(journey.base + reverse("deposits:basic_account"))
    form = page.locator("main form")
    form.locator("input[name=number]").fill(company.basic_account)
    form.locator("input[name=bank]").fill("示范银行城东支行")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    page.goto(journey.base + reverse("deposits:notice", args=[section.code]))
    expect(page.locator("#deposit-state")).to_have_attribute("data-deposit-state", "missing")
    with page.expect_navigation():
        page.locator("#sub-account button[type=submit]").click()
    number = page.locator("#sub-account .account-number").inner_text().replace(" ", "")
    assert number.isdigit()
    paid = journey.bank.transfer(
        from_account=company.basic_account,
        to_account=number,
        amount=str(DEPOSIT),
        memo="投标保证金",
    )
    assert paid.ok, paid.text
    # The bank calls the platform back; the notice shows the money counted.
    reload_until(page, "#deposit-state", "data-deposit-state", "paid")
    expect(page.locator("#received")).to_contain_text("800,000.00")
    if company is journey.companies[0]:
        shot(page, "05-bidder-deposit", readme="deposit")


def submit_guarantee(journey: Journey, company: Company, section: Section) -> None:
    issued = journey.issuer.control(
        "/_control/issue",
        {
            "platform_url": journey.base,
            "number": "SIM2026-J001",
            "section": section.code,
            "bidder": company.bidder.organisation.credit_code,
            "beneficiary": section.project.tenderee.credit_code,
            "amount": f"{section.bid_deposit:.2f}",
            "valid_from": clock.now().astimezone(BEIJING).date().isoformat(),
            "valid_until": required_until(section).isoformat(),
        },
    )
    assert issued["status"] == 201, issued
    page = company.page
    assert page is not None
    page.goto(journey.base + reverse("deposits:notice", args=[section.code]))
    expect(page.locator("#deposit-state")).to_have_attribute("data-deposit-state", "guaranteed")
    expect(page.locator("#notice")).to_contain_text("SIM2026-J001")
    shot(page, "06-bidder-guarantee")
    assert Guarantee.objects.get(section=section).bidder == company.bidder.organisation


def seal_with_the_tool(
    journey: Journey, company: Company, section: Section, sheet: dict[str, object]
) -> Sealed:
    folder = journey.tmp / f"bidder-{company.bidder.organisation.pk}"
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "技术标.pdf").write_bytes(b"%PDF-1.7 technical " * 2000)
    (folder / "documents" / "商务标.pdf").write_bytes(b"%PDF-1.7 commercial " * 500)
    return seal_and_submit(
        base=journey.base,
        username=company.username,
        folder=folder,
        section_id=section.pk,
        section_code=section.code,
        credit_code=company.bidder.organisation.credit_code,
        key=company.key_file,
        password=company.password or None,
        sheet=sheet,
    )


def seal_in_the_page(
    journey: Journey, company: Company, section: Section, sheet: dict[str, object]
) -> Sealed:
    folder = journey.tmp / f"bidder-{company.bidder.organisation.pk}"
    folder.mkdir(parents=True)
    files = [folder / "技术标.pdf", folder / "商务标.pdf"]
    files[0].write_bytes(b"%PDF-1.7 technical, sealed in the browser " * 2000)
    files[1].write_bytes(b"%PDF-1.7 commercial, sealed in the browser " * 500)
    page = company.page
    assert page is not None
    bid_id = seal_in_browser(
        page,
        files=files,
        key=company.key_file,
        password=company.password or None,
        sheet=sheet,
        upload_url=journey.base + reverse("bidding:upload", args=[section.code]),
    )
    shot(page, "06b-bidder-sealed-in-the-browser")
    bid = Bid.objects.get(pk=bid_id)
    assert bid.manifest["client"]["tool_version"].startswith("ggzy-web ")
    with page.expect_download() as saved:
        page.locator("#seal-save").click()
    bid_file = folder / "bid.gbid"
    saved.value.save_as(bid_file)
    assert sm3_hex(bid_file.read_bytes()) == bid.sm3
    with page.expect_download() as receipt_download:
        page.locator("#seal-receipt").click()
    receipt = folder / "bid.gbid.receipt.json"
    receipt_download.value.save_as(receipt)
    return Sealed(bid_file=bid_file, receipt=receipt)


# --- 3. The deadline passes: the opening hall ----------------------------------------------


def the_hall_opens_and_closes(journey: Journey, daphne: str) -> None:
    """On daphne (websockets) with the worker decrypting: sign-in, decryption by each bidder
    in its page with its own files, the reading, two confirmations and one objection, the
    host's answer on the spot, the signed record."""
    section = journey.the_section
    hall_url = daphne + reverse("realtime:hall", args=[section.code])
    host = journey.sign_in("centre", journey.host.username, daphne)
    shot(host, "08-centre-workbench")
    bidders = []
    for index, company in enumerate(journey.companies):
        bidders.append(journey.sign_in(f"hall-bidder-{index + 1}", company.username, daphne))
    everyone = [host, *bidders]
    for page in everyone:
        page.goto(hall_url)
        expect(page.locator("#hall-connection")).to_have_class("conn live")
    chronograph.apply_time_events(section.pk)  # the deadline passed: the hall opens [L34]
    assert journey.the_section.status == SectionStatus.OPENING
    expect(host.locator("#hall-role")).to_have_text("主持人")
    for page in everyone:
        expect(page.locator("#hall-stage")).to_have_text("签到", timeout=LIVE)
        expect(page.locator("#bidders-body tr")).to_have_count(3)
    for page in bidders:
        page.locator("#sign-in").click()
        expect(page.locator("#bidder-status")).to_contain_text("已签到（")
    advance = host.locator("#advance")
    expect(host.locator("#bidders-body tr", has_text="✓")).to_have_count(3, timeout=LIVE)
    advance.click()  # the bidder list
    expect(host.locator("#hall-stage")).to_have_text("投标人名单")
    advance.click()  # decryption [E30]
    for page, company in zip(bidders, journey.companies, strict=True):
        expect(page.locator("#hall-stage")).to_have_text("解密", timeout=LIVE)
        assert company.sealed is not None
        page.set_input_files("#bid-file", str(company.sealed.bid_file))
        page.set_input_files("#key-file", str(company.key_file))
        if company.password:
            page.locator("#key-password").fill(company.password)
        page.locator("#unlock").click()
        expect(page.locator("#bidder-status")).to_have_text(
            "内容密钥已接受：正在解密您的投标。", timeout=LIVE
        )
    shot(bidders[0], "09-bidder-hall-decryption")
    for page in everyone:
        expect(page.locator("#bidders-body .status.decrypted")).to_have_count(3, timeout=90_000)

    advance.click()  # the reading [E30, L36]
    for page in everyone:
        expect(page.locator("#hall-stage")).to_have_text("唱标", timeout=LIVE)
        for shown in SHOWN:
            expect(page.locator("#reading-body")).to_contain_text(shown)
    shot(host, "10-centre-hall-reading", readme="hall")
    advance.click()  # confirmation
    for page in bidders[:2]:
        expect(page.locator("#answer-box")).to_be_visible(timeout=LIVE)
        page.locator("#confirm").click()
        expect(page.locator("#bidder-status")).to_have_text("您已签名确认唱标结果。")
    objector = bidders[2]
    expect(objector.locator("#answer-box")).to_be_visible(timeout=LIVE)
    objector.locator("#object").click()
    expect(objector.locator("#bidder-status")).to_have_text("您已签名对唱标结果提出异议。")
    objector.locator("#objection-text").fill(HALL_OBJECTION)
    objector.locator("#raise-objection").click()
    expect(objector.locator("#bidder-status")).to_have_text("异议已提交。")
    objection = host.locator("#objections-list li", has_text="请核实")
    expect(objection).to_be_visible(timeout=LIVE)
    objection.locator("textarea").fill(HALL_ANSWER)
    objection.get_by_role("button", name="答复").click()
    for page in everyone:
        expect(page.locator("#objections-list")).to_contain_text("唱标结果无误", timeout=LIVE)
    advance.click()  # objections [R44]
    expect(host.locator("#hall-stage")).to_have_text("异议")
    advance.click()  # closed: the record is signed and published [E32]
    for page in everyone:
        expect(page.locator("#hall-stage")).to_have_text("已结束", timeout=LIVE)
    expect(host.locator("#record-link")).to_be_visible(timeout=LIVE)
    shot(host, "11-centre-hall-closed")

    hall = Hall.objects.get(section=section)
    assert hall.stage == HallStage.CLOSED and hall.record_json and hall.record_signature
    prices = {}
    for opening in hall.openings.select_related("bid"):
        assert opening.status == OpeningStatus.DECRYPTED and opening.sheet is not None
        prices[opening.bid.organisation_id] = opening.sheet["price"]
    assert [prices[c.bidder.organisation.pk] for c in journey.companies] == PRICES
    decisions = {c.organisation_id: c.decision for c in Confirmation.objects.filter(hall=hall)}
    assert [decisions[c.bidder.organisation.pk] for c in journey.companies] == [
        "confirm",
        "confirm",
        "object",
    ]
    raised = HallObjection.objects.get(hall=hall)
    assert raised.answer == HALL_ANSWER and raised.answered_at
    assert journey.the_section.status == SectionStatus.EVALUATION


# --- 4. The experts: drawn, confirmed, evaluating, signing ----------------------------------


def the_centre_draws_the_experts(journey: Journey, daphne: str) -> Draw:
    section = journey.the_section
    host = journey.pages["centre"]
    host.goto(daphne + reverse("experts:draw_request", args=[section.code]))
    form = host.locator("#draw-request form")
    today = clock.now().astimezone(BEIJING).date()
    form.locator("input[name=evaluation_on]").fill(today.isoformat())
    form.locator("input[name=representatives]").fill("0")
    form.locator("input[name=needs-0-specialty]").fill("A08")
    form.locator("input[name=needs-0-count]").fill("5")
    form.locator("input[name=needs-0-backups]").fill("0")
    with host.expect_navigation():
        host.locator("#request").click()
    expect(host.locator("#status")).to_have_attribute("data-status", "requested")
    host.once("dialog", lambda dialog: dialog.accept())  # "Draw the committee now?"
    with host.expect_navigation():
        host.locator("#draw-now").click()
    expect(host.locator("#status")).to_have_attribute("data-status", "drawn")
    expect(host.locator("#seats tr[data-status=called]")).to_have_count(5)
    shot(host, "12-centre-draw")
    draw = Draw.objects.get(section=section)
    assert Seat.objects.filter(draw=draw, status=SeatStatus.CALLED).count() == 5
    return draw


def the_experts_confirm(journey: Journey, daphne: str) -> list[Page]:
    pages = []
    for index, expert in enumerate(journey.experts):
        assert expert.person is not None
        page = journey.sign_in(f"expert-{index + 1}", expert.person.username, daphne)
        if index == 0:
            shot(page, "13-expert-workbench")
        page.goto(daphne + reverse("experts:my_seats"))
        with page.expect_navigation():
            page.locator("a[href*='/experts/seats/']").first.click()
        page.locator("input[name=decision][value=confirm]").check()
        with page.expect_navigation():
            page.locator("#answer").click()
        expect(page.locator("#status")).to_have_attribute("data-status", "confirmed")
        pages.append(page)
    return pages


def the_centre_opens_the_evaluation(journey: Journey, daphne: str, draw: Draw) -> int:
    host = journey.pages["centre"]
    host.goto(daphne + reverse("experts:evaluation_open", args=[draw.pk]))
    form = host.locator("#evaluation-open form")
    form.locator("input[name=hours]").fill("4")
    form.locator("textarea[name=criteria]").fill(CRITERIA)
    with host.expect_navigation():
        host.locator("#open-evaluation").click()
    evaluation = draw.evaluation
    assert evaluation.status == EvaluationStatus.SCORING
    return int(evaluation.pk)


def the_experts_evaluate_and_sign(
    journey: Journey, daphne: str, pages: list[Page], evaluation_pk: int
) -> None:
    evaluation = Evaluation.objects.get(pk=evaluation_pk)
    url = daphne + reverse("experts:evaluation", args=[evaluation_pk])
    for page, device in zip(pages, journey.devices, strict=True):
        page.goto(url)  # the second factor first
        expect(page.locator("#second-factor-verify")).to_be_visible()
        page.locator("#id_code").fill(current_code(device))
        with page.expect_navigation():
            page.locator("#second-factor-verify").get_by_role("button").click()
        expect(page.locator("#evaluation")).to_have_attribute("data-status", "scoring")
    members = list(evaluation.members.order_by("order"))
    leader = members[0]
    for page in pages[:3]:  # three votes of five elect the first member
        vote(page, leader)
    expect(said(pages[2])).to_have_text(zh("The committee elected its leader."))
    shot(pages[0], "14-expert-evaluation")
    for page in pages:
        for bid in evaluation.bids.order_by("number"):
            form = page.locator(f"#bid-{bid.pk} .score-form")
            for order, value in enumerate(POINTS[bid.number]):
                form.locator(f"[name=criterion-{order}]").fill(value)
            if page is pages[0] and bid.number == 1:
                shot(page, "15-expert-scoring", readme="expert", focus=f"#bid-{bid.pk}")
            submit(page, form.get_by_role("button"))
            expect(said(page)).to_have_text(zh("Scores saved."))
        submit(page, page.locator("#submit-scores"))
        expect(page.locator("#submitted")).to_have_text(zh("Your scores are submitted."))
    by_person = {
        expert.person_id: page for expert, page in zip(journey.experts, pages, strict=True)
    }
    leading = by_person[leader.person_id]
    leading.reload()  # every member has submitted: the leader may conclude
    leading.locator("#conclude").click()
    for page, key_file in zip(pages, journey.expert_keys, strict=True):
        expect(page.locator("#evaluation")).to_have_attribute(
            "data-status", "signing", timeout=LIVE
        )
        form = page.locator("#sign-form")
        expect(form).to_be_visible(timeout=LIVE)
        page.set_input_files("#key-file", str(key_file))
        submit(page, page.locator("#sign"))
        expect(said(page)).to_have_text(zh("Your signature is recorded."))
    expect(leading.locator("#report-pdf")).to_be_visible(timeout=LIVE)
    shot(leading, "16-expert-report-signed")
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.FINISHED
    assert all(member.signed_at and member.agrees for member in evaluation.members.all())
    assert journey.the_section.status == SectionStatus.PUBLICITY


# --- 5–6. Publicity, an objection, the award and the contract -------------------------------


def a_bidder_objects_during_publicity(journey: Journey) -> Publicity:
    section = journey.the_section
    publicity = Publicity.objects.get(section=section)
    winner = publicity.candidates[0]["organisation_id"]
    assert winner == journey.companies[2].bidder.organisation.pk  # bid 3 scored highest
    objector = journey.sign_in("publicity-bidder", journey.companies[0].username)
    objector.goto(journey.base + reverse("award:result", args=[section.code]))
    expect(objector.locator("main")).to_contain_text(journey.companies[2].bidder.organisation.name)
    shot(objector, "17-public-candidates")
    objector.goto(journey.base + reverse("award:objections", args=[section.code]))
    objector.locator("#raise textarea").fill(RESULT_OBJECTION)
    objector.locator("#raise button[type=submit]").click()
    expect(objector.locator("#objections")).to_contain_text("业绩不满足要求")

    manager = journey.sign_in("tenderee-award", journey.tenderee.username)
    manager.goto(journey.base + reverse("award:objections", args=[section.code]))
    answer = manager.locator("#objections form")
    answer.locator("textarea").fill(RESULT_ANSWER)
    answer.locator("select[name=outcome]").select_option("dismissed")
    answer.locator("button[type=submit]").click()
    expect(manager.locator("#objections")).to_contain_text("异议不成立")
    shot(manager, "18-tenderee-objection-answered")
    raised = ResultObjection.objects.get(section=section)
    assert raised.organisation == journey.companies[0].bidder.organisation
    assert raised.answer == RESULT_ANSWER and raised.answered_at
    return publicity


def the_award_and_the_contract(journey: Journey, publicity: Publicity) -> Award:
    section = journey.the_section
    journey.timeline.travel_to(publicity.ends_at + dt.timedelta(seconds=1))
    manager = journey.sign_in("tenderee-contract", journey.tenderee.username)
    manager.goto(journey.base + reverse("award:manage", args=[section.code]))
    manager.locator("#issue button[type=submit]").click()
    winner = journey.companies[2].bidder.organisation
    expect(manager.locator("#awards")).to_contain_text(winner.name)
    award = Award.objects.get(section=section)
    assert award.status == AwardStatus.NOTIFIED and award.organisation == winner
    pdf = tmp_file(journey.tmp / "contract.pdf", b"%PDF-1.7\n% the signed contract\n")
    signed_on = clock.now().astimezone(BEIJING).date().isoformat()
    record_contract(manager, award, signed_on=signed_on, price=award.price, pdf=pdf)
    expect(manager.locator("#contracted")).to_contain_text("HT-2026-001")
    shot(manager, "19-tenderee-contract", readme="award")
    assert journey.the_section.status == SectionStatus.CONTRACTED
    public = journey.profiles.new().new_page()
    public.goto(journey.base + reverse("award:result", args=[section.code]))
    expect(public.locator("main")).to_contain_text(winner.name)
    expect(public.locator("main")).to_contain_text("HT-2026-001")
    shot(public, "20-public-result")
    return award


# --- 7. Deposits back with interest [R57] ---------------------------------------------------


def deposits_come_back_with_interest(journey: Journey) -> None:
    section = journey.the_section
    refund_day = clock.now().astimezone(BEIJING).date()
    for index, company in enumerate(journey.companies[:2]):
        refund = Refund.objects.get(
            section=section, payee=company.bidder.organisation, reason=RefundReason.CONTRACT
        )
        assert refund.status == RefundStatus.PAID, refund.last_error
        # Simple interest for the days held, day rate = annual / 360 (PBoC), to the fen.
        paid_in = BankLine.objects.get(counterparty_account=company.basic_account)
        held = refund_day - paid_in.booked_at.astimezone(BEIJING).date()
        assert held.days >= 20
        expected = (DEPOSIT * RATE * held.days / 360).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert refund.principal == DEPOSIT and refund.interest == expected > 0
        assert refund.total == refund.principal + refund.interest
        balance = Decimal(OPENING_BALANCE) - DEPOSIT + refund.total
        assert Decimal(journey.bank.balance_of(company.basic_account)) == balance
        page = journey.sign_in(f"refund-bidder-{index + 1}", company.username)
        page.goto(journey.base + reverse("deposits:notice", args=[section.code]))
        expect(page.locator("#refunds")).to_contain_text(f"{refund.interest:,.2f}")
        expect(page.locator("#deposit-state")).to_have_attribute("data-deposit-state", "refunded")
        if index == 0:
            shot(page, "21-bidder-refund")
    centre = journey.sign_in("centre-deposits", journey.host.username)
    centre.goto(journey.base + reverse("deposits:staff_section", args=[section.code]))
    expect(centre.locator("main")).to_contain_text(section.code)
    shot(centre, "22-centre-deposits")


# --- 8. The regulator verifies the ledger and the archive -----------------------------------


def the_regulator_verifies(journey: Journey) -> None:
    section = journey.the_section
    centre = journey.pages["centre-deposits"]
    centre.goto(journey.base + reverse("archive:list"))
    row = centre.locator("tr", has_text=section.code)
    with centre.expect_navigation():
        row.get_by_role("button").click()
    archive = Archive.objects.get(section=section)

    regulator = journey.sign_in("regulator", journey.regulator.username)
    shot(regulator, "23-regulator-workbench")
    regulator.goto(journey.base + reverse("supervision:timeline", args=[section.code]))
    expect(regulator.locator("#supervision-timeline")).to_contain_text("开标大厅")
    shot(regulator, "24-regulator-timeline", readme="regulator")
    regulator.goto(journey.base + reverse("supervision:ledger_verify"))
    regulator.get_by_role("button", name="立即验证").click()
    expect(regulator.locator("#verify-result")).to_contain_text("哈希链完整")
    shot(regulator, "25-regulator-ledger-verified")

    regulator.goto(journey.base + reverse("archive:list"))
    with regulator.expect_download() as downloading:
        regulator.locator("tr", has_text=section.code).locator("a[href*='download']").click()
    package = journey.tmp / "archive.zip"
    downloading.value.save_as(package)
    assert zipfile.is_zipfile(package)
    assert sm3_hex(package.read_bytes()) == archive.sm3
    # Offline, with no database, the platform's key pinned as the regulator knows it.
    platform_key = tmp_file(journey.tmp / "platform.pem", signing.platform_public_key().to_pem())
    verifier = Path(sys.executable).parent / "ggzy-verify-archive"
    checked = subprocess.run(
        [str(verifier), str(package), "--public-key", str(platform_key)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- The journey ----------------------------------------------------------------------------


@pytest.fixture
def journey(
    browser: Browser,
    live_server: LiveServer,
    holders: Holders,  # noqa: F811
    tenderee: Person,  # noqa: F811
    tmp_path: Path,
    settings: Any,
    eager_celery: None,  # noqa: F811
) -> Iterator[Journey]:
    """The people (three bidder companies with bound keys, two with basic accounts at the
    bank; the centre's host; the regulator; five experts with authenticators and key files),
    the bank simulator calling the live server back, the issuer simulator registered."""
    companies = []
    for index, name in enumerate(COMPANIES):
        bidder = make_bidder(name)
        Person.objects.filter(pk=bidder.person.pk).update(
            username=f"journey-bidder-{index + 1}", display_name=f"{name[:2]}投标经理"
        )
        bidder.person.refresh_from_db()
        password = KEY_PASSWORD if index == 1 else ""
        key_file = tmp_path / f"bidder-{index + 1}.pem"
        key_file.write_bytes(
            bidder.key.to_pem(password.encode(), iterations=100_000)
            if password
            else bidder.key.to_pem()
        )
        companies.append(Company(bidder, BASIC_ACCOUNTS[index], key_file, password))
    host = PersonFactory.create(
        username="journey-centre",
        display_name="李主持",
        organisation=holders.centre,
        role=Role.STAFF,
    )
    regulator = PersonFactory.create(
        username="journey-regulator",
        display_name="赵监督",
        organisation=holders.regulator,
        role=Role.REGULATOR,
    )
    Person.objects.filter(pk=tenderee.pk).update(display_name="张招标")
    # The current-deposit (活期) rate the centre keeps, 0.35 % a year [R57].
    reference_data.rate_set(effective_from=dt.date(2020, 1, 1), annual_rate=RATE, actor=host)
    _specialty, experts, keys = library(5)
    devices = [enrol_confirmed(expert.person) for expert in experts if expert.person]
    expert_keys = []
    for index, key in enumerate(keys):
        expert_keys.append(tmp_file(tmp_path / f"expert-{index + 1}.pem", key.to_pem()))

    profiles = Profiles(browser)
    timeline = Timeline()
    with (
        servers.bank_simulator(
            tmp_path,
            secret=BANK_SECRET,
            opening_balance=OPENING_BALANCE,  # the bank's own money pays the interest
            callback_url=live_server.url + reverse("deposits:bank_callback"),
            # The bank keeps the real time while the platform's runs weeks ahead: each
            # accepts the other's signatures across that gap (the simulator's --window).
            extra=("--window", str(SIGNATURE_WINDOW)),
        ) as bank,
        servers.issuer_simulator(tmp_path) as issuer,
    ):
        settings.BANK_URL = bank.url
        settings.BANK_SECRET = BANK_SECRET
        settings.BANK_TIMEOUT_SECONDS = 5.0
        settings.BANK_CALLBACK_WINDOW_SECONDS = SIGNATURE_WINDOW
        for company in companies:
            if company.basic_account:
                bank.open_account(
                    company.basic_account, company.bidder.organisation.name, OPENING_BALANCE
                )
        guarantees.issuer_register(
            name="模拟担保有限公司",
            credit_code=issuer.credit_code,
            kind=IssuerKind.GUARANTOR,
            public_key_pem=issuer.public_key_pem(),
            claim_url=issuer.url + "/claims",
            actor=None,
        )
        made = Journey(
            base=live_server.url,
            profiles=profiles,
            timeline=timeline,
            tmp=tmp_path,
            holders=holders,
            tenderee=tenderee,
            host=host,
            regulator=regulator,
            companies=companies,
            bank=bank,
            issuer=issuer,
            experts=experts,
            devices=devices,
            expert_keys=expert_keys,
        )
        try:
            yield made
        finally:
            timeline.stop()
            profiles.close()


def test_a_tender_from_publication_to_the_archive_in_the_browser(journey: Journey) -> None:
    journey.section = tenderee_publishes(journey)  # 1
    bidders_pay_and_bid(journey)  # 2
    # 3–4 on daphne and a worker, the clock just past the deadline for all of them.
    journey.timeline.travel_to(journey.the_section.bid_deadline + dt.timedelta(seconds=1))
    with (
        journey.timeline.daphne(journey.tmp, BANK_SECRET=BANK_SECRET) as daphne,
        journey.timeline.celery_worker(journey.tmp, BANK_SECRET=BANK_SECRET) as worker,
    ):
        the_hall_opens_and_closes(journey, daphne.url)  # 3
        draw = the_centre_draws_the_experts(journey, daphne.url)  # 4
        pages = the_experts_confirm(journey, daphne.url)
        evaluation = the_centre_opens_the_evaluation(journey, daphne.url, draw)
        the_experts_evaluate_and_sign(journey, daphne.url, pages, evaluation)
        assert worker.poll() is None
    publicity = a_bidder_objects_during_publicity(journey)  # 5
    the_award_and_the_contract(journey, publicity)  # 6
    deposits_come_back_with_interest(journey)  # 7
    the_regulator_verifies(journey)  # 8
