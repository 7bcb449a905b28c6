"""After the evaluation, in Chromium: a bidder objects to the publicized result, the tenderee
answers, issues the award once publicity is over and records the contract with its PDF
(a term that differs from the bid is refused on the page first); the winner reads its
award notice and the public result page shows the winner and the contract's terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from award.models import Award, AwardStatus, ResultObjection
from tests.award.conftest import publicized  # noqa: F401
from tests.award.world import AwardWorld
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.browser.conftest import requires_chromium
from tests.browser.people import log_in
from tests.realtime.conftest import eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import SectionStatus

pytestmark = [pytest.mark.browser, requires_chromium, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"award-{name}.png", full_page=True)


def record_contract(page: Page, award: Award, *, signed_on: str, price: Decimal, pdf: Path) -> None:
    """Fill the contract form with the winning bid's terms, ``price`` and the PDF; send it."""
    form = page.locator("#contract form")
    form.locator("input[name=number]").fill("HT-2026-001")
    form.locator("input[name=signed_on]").fill(signed_on)
    form.locator("input[name=price]").fill(str(price))
    for name, value in award.terms.items():
        field = form.locator(f"[name={name}]:not([name=price])")
        if field.count():
            field.fill(str(value))
    form.locator("input[name=document]").set_input_files(str(pdf))
    form.locator("button[type=submit]").click()


def test_from_publicity_to_the_contract_in_the_browser(
    publicized: AwardWorld,  # noqa: F811
    live_server: object,
    context: BrowserContext,
    tmp_path: Path,
) -> None:
    world = publicized
    base = str(live_server.url)  # type: ignore[attr-defined]
    code = world.section.code

    objector = log_in(context, base, world.bidder(1).person.username)
    objector.goto(base + reverse("award:objections", args=[code]))
    objector.locator("#raise textarea").fill("第一中标候选人业绩不满足要求，请复核")
    objector.locator("#raise button[type=submit]").click()
    expect(objector.locator("#objections")).to_contain_text("第一中标候选人业绩不满足要求")
    assert ResultObjection.objects.filter(section=world.section).count() == 1
    objector.close()

    manager = log_in(context, base, world.tenderee.username)
    manager.goto(base + reverse("award:objections", args=[code]))
    answer = manager.locator("#objections form")
    answer.locator("textarea").fill("经复核，业绩满足招标文件要求，异议不成立")
    answer.locator("select[name=outcome]").select_option("dismissed")
    answer.locator("button[type=submit]").click()
    expect(manager.locator("#objections")).to_contain_text("异议不成立")
    shot(manager, "objections")

    world.travel(world.publicity.ends_at + dt.timedelta(seconds=1))
    manager.close()  # three days later the session has expired: sign in again
    manager = log_in(context, base, world.tenderee.username)
    manager.goto(base + reverse("award:manage", args=[code]))
    manager.locator("#issue button[type=submit]").click()
    expect(manager.locator("#awards")).to_contain_text(world.bidder(0).organisation.name)
    award = Award.objects.get(section=world.section)
    assert award.status == AwardStatus.NOTIFIED

    signed_on = world.publicity.ends_at.date().isoformat()
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(b"%PDF-1.7\n% the signed contract\n")
    record_contract(manager, award, signed_on=signed_on, price=award.price + 1, pdf=pdf)
    expect(manager.locator("#contract")).to_contain_text("L46")
    assert world.section.status == SectionStatus.AWARDED

    record_contract(manager, award, signed_on=signed_on, price=award.price, pdf=pdf)
    expect(manager.locator("#contracted")).to_contain_text("HT-2026-001")
    assert world.section.status == SectionStatus.CONTRACTED
    shot(manager, "manage")

    winner = log_in(context, base, world.bidder(0).person.username)
    winner.goto(base + reverse("award:notices"))
    expect(winner.locator("main")).to_contain_text(code)
    shot(winner, "notices")

    public = context.new_page()
    public.goto(base + reverse("award:result", args=[code]))
    expect(public.locator("main")).to_contain_text(world.bidder(0).organisation.name)
    expect(public.locator("main")).to_contain_text("HT-2026-001")
    shot(public, "result")
