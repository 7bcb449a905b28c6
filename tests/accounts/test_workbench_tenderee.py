"""The tenderee's workbench: objections to answer (overdue first) [R22], its sections by
stage with their chart, the last moment to clarify without moving the deadline [R21]; and,
with the centre's and the regulator's, not one byte that depends on how many have bid."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from accounts import workbench
from accounts.models import Person, Role
from ggzy import clock
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.security.test_nothing_before_the_deadline import normalised
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import objections
from trading.models import Section
from trading.rules import CLARIFICATION_NOTICE_MIN

pytestmark = pytest.mark.django_db


def panels(person: Person) -> dict[str, workbench.Panel]:
    with translation.override("en"):
        return {panel.key: panel for panel in workbench.panels_for(person, clock.now())}


def test_an_objection_answered_late_is_overdue_and_its_panel_comes_first(
    section: Section, tenderee: Person, bidders: list[Bidder]
) -> None:
    objection = objections.objection_raise(
        section=section, actor=bidders[0].person, text="资格条件有倾向性"
    )
    with time_machine.travel(objection.answer_due + dt.timedelta(hours=1)):
        mine = panels(tenderee)
    [item] = mine["objections"].items
    assert item.state == workbench.LATE and item.due == objection.answer_due
    assert item.title == f"Objection to the documents of {section.code} [R22]"
    assert bidders[0].organisation.name not in str(item.title) + str(item.detail)
    assert list(mine)[:3] == ["halls", "objections", "sections"]


def test_its_sections_show_by_stage_with_a_chart_and_the_same_figures_in_a_table(
    section: Section, tenderee: Person
) -> None:
    [item] = panels(tenderee)["sections"].items
    assert item.state == workbench.UPCOMING and item.due == section.bid_deadline
    page = client_for(tenderee).get(reverse("accounts:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'data-chart="chart-sections"' in html
    assert '<script id="chart-sections" type="application/json">' in html
    assert re.search(r'<th scope="row">Accepting bids</th><td class="num">1</td>', html)


def test_the_last_moment_to_clarify_without_moving_the_deadline_is_listed_until_it_passes(
    section: Section, tenderee: Person
) -> None:
    last = section.bid_deadline - CLARIFICATION_NOTICE_MIN
    [item] = panels(tenderee)["clarifications"].items
    assert item.due == last and "[R21]" in str(item.detail)
    with time_machine.travel(last + dt.timedelta(seconds=1)):
        assert panels(tenderee)["clarifications"].items == []


def answers(people: list[Person]) -> list[bytes]:
    pages = [reverse("accounts:dashboard"), reverse("accounts:workbench_panels")]
    return [normalised(client_for(person).get(url).content) for person in people for url in pages]


def test_before_the_deadline_the_workbenches_are_the_same_with_no_bid_and_with_two(
    section: Section, tenderee: Person, holders: Holders, bidders: list[Bidder], tmp_path: Path
) -> None:
    staff = PersonFactory.create(organisation=holders.centre, role=Role.STAFF, username="staff")
    regulator = PersonFactory.create(
        organisation=holders.regulator, role=Role.REGULATOR, username="regulator"
    )
    people = [tenderee, staff, regulator, bidders[2].person]
    before = answers(people)
    for bidder in bidders[:2]:
        sent = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
        assert sent.status_code == 204
    assert answers(people) == before
    assert section.code.encode() in before[0]  # the tenderee's page does name the section
