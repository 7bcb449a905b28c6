"""The remote evaluation in the browser. Above all: three experts and the one the committee
elects its leader work in four headless Chromium profiles against a real daphne (websockets),
on the test database and the real clock — sign in, pass the second factor, elect the leader,
score each bid (a score above its criterion's maximum refused on the page, nothing stored),
submit, conclude, and sign the report with each expert's own key file in the browser, one of
them disagreeing with written reasons; the PDF of the finished report downloads. Also: staff
watching the evaluation see its progress move without reloading the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Locator, Page, expect

from accounts.models import Person, Role
from accounts.second_factor import current_code, enrol_confirmed
from bidding.models import Bid
from experts import evaluation as evaluations
from experts import scoring
from experts.models import EvaluationStatus, Member, Score
from ggzy import clock
from ggzy_core.evaluation import MAX_CANDIDATES, report_message
from realtime.models import Hall
from tests import servers, tools
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid, upload_whole
from tests.browser.conftest import requires_chromium
from tests.browser.people import log_in
from tests.browser.test_hall import contexts  # noqa: F401
from tests.experts.evaluation_world import Committee, committee
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening, eager_celery  # noqa: F401
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section, SectionStatus

pytestmark = [pytest.mark.browser, requires_chromium, pytest.mark.django_db(transaction=True)]

BIDDERS = ["江南建工集团有限公司", "长江路桥工程有限公司", "金陵市政建设有限公司"]
PRICES = ["40850000.00", "41850000.00", "42850000.00"]
# Bid number → points per criterion (技术方案 ≤ 40, 施工组织 ≤ 30, 报价 ≤ 30), the same for
# every member: bid 3 scores 93, bid 1 scores 70, bid 2 scores 56 — neither the order of
# receipt nor that of price.
POINTS = {1: ["30", "20", "20"], 2: ["25", "15", "16"], 3: ["38", "27", "28"]}
RANKING = [3, 1, 2]
# Two lines: the browser posts the textarea's line break as CRLF but signs the text it shows
# (LF); the service reads it as the signed text.
DISSENT = "第二标的施工组织设计对汛期施工考虑不足，\n其得分偏高，不同意将其列为第三名。"
# What the test process changes reaches daphne's pages by the progress consumer's 10 s
# heartbeat: its own broadcast fails while Playwright's loop runs in its thread (and without
# Redis its channel layer is its own anyway).
LIVE = 30_000


def zh(message: str) -> str:
    """What the page says, in the browser's language (zh-CN asks for zh-hans)."""
    with translation.override("zh-hans"):
        return gettext(message)


@dataclass
class World:
    committee: Committee
    section: Section
    clerk: Person
    devices: list[TOTPDevice]  # in member order
    key_files: list[Path]  # in member order


@pytest.fixture
def world(
    published: Section,  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
    eager_celery: None,  # noqa: F811
) -> World:
    """By the real clock (daphne shares no travelled clock): three bids received, the
    deadline passed, the hall closed with the three opened, five experts drawn and
    confirmed (no tenderee representatives), each with a sign-in account, a confirmed
    authenticator and an SM2 key in a PEM file; the evaluation open, three criteria."""
    bidders = [make_bidder(name) for name in BIDDERS]
    files = [
        seal_bid(published, bidder, tmp_path, price=price)
        for bidder, price in zip(bidders, PRICES, strict=True)
    ]
    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    bids = []
    for bidder, data in zip(bidders, files, strict=True):
        response = upload_whole(bidder.client(), section, data)
        assert response.status_code == 204, response.content
        bids.append(Bid.objects.get(pk=response["Ggzy-Bid"]))
    # The deadline comes now rather than after a wait: the bids were all received before it.
    Section.objects.filter(pk=section.pk).update(bid_deadline=clock.now())
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    assert section.status == SectionStatus.OPENING
    clerk = PersonFactory.create(
        username="evaluation-clerk", organisation=holders.centre, role=Role.STAFF
    )
    state = Opening(
        section, Hall.objects.get(section=section), bidders, bids, files, clerk, holders
    )
    made = committee(state)
    devices = [enrol_confirmed(person) for person in made.people]
    key_files = []
    for index, key in enumerate(made.keys):
        key_file = tmp_path / f"expert-{index}.pem"
        key_file.write_bytes(key.to_pem())  # unencrypted PKCS#8, "PRIVATE KEY"
        key_files.append(key_file)
    section.refresh_from_db()
    return World(made, section, clerk, devices, key_files)


def evaluation_path(world: World) -> str:
    return reverse("experts:evaluation", args=[world.committee.evaluation.pk])


def pass_second_factor(page: Page, base: str, world: World, index: int) -> None:
    """The expert opens the evaluation, is sent to the verify page and types the code the
    authenticator shows now; the workspace follows."""
    page.goto(base + evaluation_path(world))
    expect(page.locator("#second-factor-verify")).to_be_visible()
    page.locator("#id_code").fill(current_code(world.devices[index]))
    with page.expect_navigation():
        page.locator("#second-factor-verify").get_by_role("button").click()
    expect(page.locator("#evaluation")).to_have_attribute("data-status", "scoring")
    expect(page.locator("#progress")).to_have_attribute("data-live", "true")


def submit(page: Page, button: Locator) -> None:
    """Click and wait for the page the form's redirect leads to."""
    with page.expect_navigation():
        button.click()


def said(page: Page) -> Locator:
    return page.locator("ul.messages li")


def vote(page: Page, candidate: Member) -> None:
    page.locator("#candidate").select_option(str(candidate.pk))
    submit(page, page.locator("#vote"))


def score_every_bid(page: Page, world: World) -> None:
    for bid in world.committee.evaluation.bids.order_by("number"):
        form = page.locator(f"#bid-{bid.pk} .score-form")
        for order, value in enumerate(POINTS[bid.number]):
            form.locator(f"[name=criterion-{order}]").fill(value)
        submit(page, form.get_by_role("button"))
        expect(said(page)).to_have_text(zh("Scores saved."))
        # The page shows what is stored: Decimal places, not what was typed.
        expect(page.locator(f"#bid-{bid.pk} [name=criterion-0]")).to_have_value(
            f"{Decimal(POINTS[bid.number][0]):.2f}"
        )
    submit(page, page.locator("#submit-scores"))
    expect(page.locator("#submitted")).to_have_text(zh("Your scores are submitted."))


def refuse_a_score_above_the_maximum(page: Page, world: World, member: Member) -> None:
    """报价 is worth at most 30: 31 is refused by the browser, and by the server when the
    browser does not check; the first two criteria, valid, are not kept either."""
    bid = world.committee.evaluation.bids.get(number=1)
    form = page.locator(f"#bid-{bid.pk} .score-form")
    form.locator("[name=criterion-0]").fill("30")
    form.locator("[name=criterion-1]").fill("20")
    price_points = form.locator("[name=criterion-2]")
    price_points.fill("31")
    with tools.nothing_changes(Score, Member):
        page.evaluate("() => { window.notSent = true; }")
        form.get_by_role("button").click()
        assert price_points.evaluate("input => input.validity.rangeOverflow") is True
        assert page.evaluate("() => window.notSent") is True  # the same page: nothing sent
        form.evaluate("form => { form.noValidate = true; }")
        submit(page, form.get_by_role("button"))
        error = page.locator("ul.messages li.error")
        expect(error).to_contain_text("“报价”的分值须在 0 至 30.00 之间（现为 31）")
        expect(error).to_contain_text("The points for “报价” are between 0 and 30.00 (31 given)")
    assert not Score.objects.filter(member=member).exists()
    expect(form.locator("[name=criterion-0]")).to_have_value("")


def sign(page: Page, world: World, index: int, *, dissent: str = "") -> None:
    """The expert signs in the browser with their own key file; disagreeing, with reasons."""
    form = page.locator("#sign-form")
    expect(form).to_be_visible(timeout=LIVE)  # the page reloads itself once concluded
    if dissent:
        form.locator("input[name=agrees][value=no]").check()
        page.locator("#dissent").fill(dissent)
    page.set_input_files("#key-file", str(world.key_files[index]))
    submit(page, page.locator("#sign"))
    expect(said(page)).to_have_text(zh("Your signature is recorded."))
    answer = "You disagree, with written reasons." if dissent else "You agree."
    expect(page.locator("#signed")).to_contain_text(zh(answer))


def test_three_experts_and_their_leader_evaluate_and_sign_the_report_in_the_browser(
    contexts: list[BrowserContext],  # noqa: F811
    world: World,
    tmp_path: Path,
) -> None:
    state = world.committee
    evaluation = state.evaluation
    members = list(evaluation.members.order_by("order"))
    assert len(members) == 5 and {m.kind for m in members} == {"expert"}
    leader = members[0]
    # Members 0–3 work in the browser (member 0 becomes the leader); the fifth, member 4,
    # acts through the services (experts.scoring, experts.evaluation) — what its page would do.
    fifth = state.people[4]

    with servers.daphne(tmp_path) as daphne:
        base = daphne.url
        pages = []
        for index, context in enumerate(contexts):
            page = log_in(context, base, state.people[index].username)
            pass_second_factor(page, base, world, index)
            pages.append(page)

        # The leader's election: two votes for member 2, then three for member 0 — more than
        # half of the five elects.
        vote(pages[2], members[2])
        expect(said(pages[2])).to_have_text(zh("Your vote is recorded."))
        vote(pages[3], members[2])
        expect(said(pages[3])).to_have_text(zh("Your vote is recorded."))
        assert evaluations.leader_vote(evaluation=evaluation, actor=fifth, candidate=leader) is None
        vote(pages[1], leader)
        expect(said(pages[1])).to_have_text(zh("Your vote is recorded."))
        vote(pages[0], leader)
        expect(said(pages[0])).to_have_text(zh("The committee elected its leader."))
        expect(pages[0].locator("#vote-form")).to_have_count(0)
        expect(pages[0].locator(f"#committee li[data-member='{leader.pk}'] strong")).to_have_text(
            zh("leader")
        )
        evaluation.refresh_from_db()
        assert evaluation.leader_id == leader.pk

        refuse_a_score_above_the_maximum(pages[1], world, members[1])
        for page in pages:
            score_every_bid(page, world)
        for bid in evaluation.bids.order_by("number"):
            scoring.score_set(
                evaluation=evaluation,
                actor=fifth,
                bid=bid,
                values=dict(enumerate(POINTS[bid.number])),
            )
        scoring.scores_submit(evaluation=evaluation, actor=fifth)

        leading = pages[0]
        # The leader's own page may reload itself on the news of the conclusion and abort the
        # form's redirect (evaluation.js): the new page is waited for, not the navigation or
        # its flash message.
        leading.locator("#conclude").click()
        expect(leading.locator("#evaluation")).to_have_attribute("data-status", "signing")
        evaluation.refresh_from_db()
        assert evaluation.status == EvaluationStatus.SIGNING
        expect(leading.locator("#report-sm3")).to_have_text(evaluation.report_sm3)
        for page in pages[1:]:  # their pages reload themselves on the conclusion
            expect(page.locator("#evaluation")).to_have_attribute(
                "data-status", "signing", timeout=LIVE
            )
            expect(page.locator("#report-sm3")).to_have_text(evaluation.report_sm3)

        for index, page in enumerate(pages):
            sign(page, world, index, dissent=DISSENT if index == 3 else "")
        evaluations.report_sign(
            evaluation=evaluation,
            actor=fifth,
            agrees=True,
            signature=state.keys[4].sign(report_message(evaluation.report_sm3, agrees=True)),
        )

        pdf_link = leading.locator("#report-pdf")
        expect(pdf_link).to_be_visible(timeout=LIVE)  # the page reloads itself once finished
        expect(leading.locator("#evaluation")).to_have_attribute("data-status", "finished")
        # The PDF is a Celery task after commit (run eagerly here, the last signature being the
        # test process's); the report view builds it itself if it is missing, either way.
        pdf_href = pdf_link.get_attribute("href")
        assert pdf_href
        pdf = leading.request.get(base + pdf_href)
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        json_href = leading.locator("#report-json").get_attribute("href")
        assert json_href
        report_response = leading.request.get(base + json_href)
        assert report_response.ok
        assert report_response.headers["ggzy-report-sm3"] == evaluation.report_sm3
        report = report_response.json()

    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.FINISHED
    world.section.refresh_from_db()
    assert world.section.status == SectionStatus.PUBLICITY
    assert bytes(evaluation.report_json or b"") == report_response.body()

    signed = list(evaluation.members.order_by("order"))
    assert [member.agrees for member in signed] == [True, True, True, False, True]
    assert [member.dissent for member in signed] == ["", "", "", DISSENT, ""]
    for member, key in zip(signed, state.keys, strict=True):
        assert member.signed_at is not None and not member.deemed_agreed
        message = report_message(
            evaluation.report_sm3, agrees=bool(member.agrees), dissent=member.dissent
        )
        assert key.public_key().verify(message, bytes(member.signature or b""))

    assert len(report["candidates"]) <= MAX_CANDIDATES
    assert report["ranking"] == RANKING and report["candidates"] == RANKING
    assert {bid["number"]: bid["result"] for bid in report["bids"]} == {
        number: f"{sum(Decimal(value) for value in points):.2f}"
        for number, points in POINTS.items()
    }
    typed = {
        (member, number, order): Decimal(value)
        for member in range(5)
        for number, points in POINTS.items()
        for order, value in enumerate(points)
    }
    assert {
        (point["member"], point["bid"], point["criterion"]): Decimal(point["value"])
        for point in report["points"]
    } == typed


@pytest.fixture
def watching(world: World, page: Page, tmp_path: Path) -> Iterator[Page]:
    """The centre's clerk on the evaluation page, served by daphne."""
    with servers.daphne(tmp_path) as daphne:
        clerk = log_in(page.context, daphne.url, world.clerk.username)
        clerk.goto(daphne.url + evaluation_path(world))
        yield clerk


def test_staff_see_the_progress_move_without_reloading_the_page(
    world: World, watching: Page
) -> None:
    progress = watching.locator("#progress")
    expect(progress).to_have_attribute("data-live", "true")
    expect(watching.locator(".score-form")).to_have_count(0)  # staff watch the pace, not marks
    rows = progress.locator("tr[data-order]")
    expect(rows).to_have_count(5)
    expect(rows.locator(".scored")).to_have_text(["0 / 9"] * 5)
    watching.evaluate("() => { window.stillTheSamePage = true; }")

    state = world.committee
    bid = state.evaluation.bids.get(number=2)
    scoring.score_set(
        evaluation=state.evaluation,
        actor=state.people[1],
        bid=bid,
        values=dict(enumerate(POINTS[2])),
    )

    expect(progress.locator("tr[data-order='1'] .scored")).to_have_text("3 / 9", timeout=LIVE)
    expect(rows.locator(".scored")).to_have_text(["0 / 9", "3 / 9", "0 / 9", "0 / 9", "0 / 9"])
    assert watching.evaluate("() => window.stillTheSamePage") is True
