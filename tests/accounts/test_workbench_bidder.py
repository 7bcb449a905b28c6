"""A bidder's workbench: the deadlines of the sections whose documents it downloaded, its
deposits to pay, its own bids and receipts, the objections it raised — and nothing of any
other company's bid, upload or deposit."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from accounts import workbench
from accounts.models import Person
from deposits import collection
from ggzy import clock
from ggzy_core.times import BEIJING
from tests.bidding.conftest import Bidder, bidders, live_bids, seal_bid, section, upload_whole  # noqa: F401
from tests.conftest import client_for
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import documents, objections
from trading.models import Section

pytestmark = pytest.mark.django_db


def panel(person: Person, key: str) -> workbench.Panel:
    """One panel of the person's workbench, in English."""
    with translation.override("en"):
        [found] = [p for p in workbench.panels_for(person, clock.now()) if p.key == key]
    return found


def downloads(section: Section, bidder: Bidder) -> None:
    document = documents.current_document(section)
    assert document is not None
    documents.document_download(document=document, person=bidder.person, address="192.0.2.1")


def test_the_deadline_of_a_section_whose_documents_it_downloaded_is_upcoming(
    section: Section, bidders: list[Bidder]
) -> None:
    downloads(section, bidders[0])
    [item] = panel(bidders[0].person, "deadlines").items
    assert item.title == f"{section.code} {section.name}"
    assert item.state == workbench.UPCOMING and item.due == section.bid_deadline
    assert panel(bidders[1].person, "deadlines").items == []


def test_on_the_deadline_day_the_deadline_is_due_today(
    section: Section, bidders: list[Bidder]
) -> None:
    downloads(section, bidders[0])
    day = section.bid_deadline.astimezone(BEIJING).date()
    with time_machine.travel(dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=BEIJING)):
        [item] = panel(bidders[0].person, "deadlines").items
    assert item.state == workbench.DUE_TODAY


def test_a_deposit_to_pay_says_how_much_and_where(section: Section, bidders: list[Bidder]) -> None:
    downloads(section, bidders[0])
    [item] = panel(bidders[0].person, "deposits").items
    assert item.title == f"Deposit for {section.code}: 800,000.00 yuan"
    assert item.url == reverse("deposits:notice", kwargs={"code": section.code})
    sub = collection.sub_account_for(
        section=section, bidder=bidders[0].organisation, actor=bidders[0].person
    )
    [item] = panel(bidders[0].person, "deposits").items
    assert sub.number in str(item.detail)
    assert panel(bidders[1].person, "deposits").items == []


def test_its_own_bid_shows_with_its_receipt_and_no_other_company_learns_of_it(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    sent = upload_whole(bidders[0].client(), section, seal_bid(section, bidders[0], tmp_path))
    assert sent.status_code == 204
    [item] = panel(bidders[0].person, "bids").items
    assert item.title == f"Our bid for {section.code}"
    [bid] = live_bids(section)
    assert item.url == reverse("bidding:receipt", kwargs={"pk": bid.pk})
    assert item.state == workbench.UPCOMING
    others = client_for(bidders[1].person).get(
        reverse("accounts:dashboard"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert section.code not in others.content.decode()


def test_an_objection_the_tenderee_has_not_answered_in_time_is_overdue(
    section: Section, bidders: list[Bidder]
) -> None:
    objection = objections.objection_raise(
        section=section, actor=bidders[0].person, text="评分办法不清楚"
    )
    assert panel(bidders[0].person, "objections-raised").items[0].state == workbench.UPCOMING
    with time_machine.travel(objection.answer_due + dt.timedelta(minutes=1)):
        [item] = panel(bidders[0].person, "objections-raised").items
        page = client_for(bidders[0].person).get(
            reverse("accounts:workbench_panels"),
            {"panel": "objections-raised"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert item.state == workbench.LATE
    assert '<span class="badge wb-late">Overdue</span>' in page.content.decode()
    assert "you may complain to the supervising department [R60]" in page.content.decode()
