"""The case workflow (open → investigating → closed with a conclusion, each step
ledgered), who sees and handles an alert, its pages, and the portal's selectors."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import Person, Role
from ggzy.errors import DomainError
from ggzy_core.times import BEIJING
from supervision.alerts import runner, selectors, workflow
from supervision.alerts.models import Alert, AlertStatus, AlertStep, RuleCode
from supervision.models import LedgerEntry
from supervision.opaque_ids import opaque_id
from tests.factories import OrganisationFactory, PersonFactory
from tests.supervision.alerts.conftest import company, make_bid, open_bid
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(opened: Section) -> Alert:
    first, second = company("甲建设有限公司"), company("乙建设有限公司")
    bids = [
        make_bid(opened, first, network_address="203.0.113.7"),
        make_bid(opened, second, network_address="203.0.113.7", seconds_before=60),
    ]
    open_bid(bids[0], 1)
    open_bid(bids[1], 2)
    (raised,) = runner.run_section(section=opened, rules=[RuleCode.SAME_UPLOAD_ADDRESS])
    return raised


def client_of(person: Person) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English strings
    client.force_login(person)
    return client


# --- the workflow ------------------------------------------------------------------------


def test_each_step_of_the_case_is_ledgered(alert: Alert, regulator: Person) -> None:
    workflow.alert_investigate(alert=alert, actor=regulator)
    workflow.alert_note(alert=alert, actor=regulator, note="已调取两家公司的上传记录")
    closed = workflow.alert_close(
        alert=alert, actor=regulator, conclusion="同一代理人代为上传，移送处理"
    )
    assert closed.status == AlertStatus.CLOSED and closed.handler == regulator
    steps = list(AlertStep.objects.filter(alert=alert))
    assert [(step.source, step.target) for step in steps] == [
        ("open", "investigating"),
        ("investigating", "investigating"),
        ("investigating", "closed"),
    ]
    actions = [LedgerEntry.objects.get(pk=step.ledger_sequence).action for step in steps]
    assert actions == ["alerts.alert.investigating", "alerts.alert.noted", "alerts.alert.closed"]
    entry = LedgerEntry.objects.get(pk=steps[-1].ledger_sequence)
    assert entry.actor_person_id == regulator.pk and "移送" not in str(entry.data)


def test_closing_without_a_conclusion_is_refused_in_both_languages(
    alert: Alert, regulator: Person
) -> None:
    workflow.alert_investigate(alert=alert, actor=regulator)
    entries = LedgerEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        workflow.alert_close(alert=alert, actor=regulator, conclusion="   ")
    assert refused.value.field == "conclusion"
    assert "结论" in refused.value.message and "conclusion is required" in refused.value.message
    alert.refresh_from_db()
    assert alert.status == AlertStatus.INVESTIGATING
    assert LedgerEntry.objects.count() == entries


def test_a_case_is_investigated_before_it_is_closed(alert: Alert, regulator: Person) -> None:
    with pytest.raises(DomainError) as refused:
        workflow.alert_close(alert=alert, actor=regulator, conclusion="无问题")
    assert refused.value.code == "conflict"
    assert "start the investigation first" in refused.value.message


def test_a_closed_case_takes_no_more_notes(alert: Alert, regulator: Person) -> None:
    workflow.alert_investigate(alert=alert, actor=regulator)
    workflow.alert_close(alert=alert, actor=regulator, conclusion="正常同城网络出口")
    with pytest.raises(DomainError):
        workflow.alert_note(alert=alert, actor=regulator, note="补充")


# --- access and pages --------------------------------------------------------------------


def test_the_regulator_sees_the_alert_with_its_evidence(alert: Alert, regulator: Person) -> None:
    page = client_of(regulator).get(f"/supervision/alerts/{alert.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲建设有限公司" in body and "No. 1" in body and "No. 2" in body
    for sequence in alert.evidence["ledger"]:
        link = opaque_id(LedgerEntry, sequence)
        assert f"/supervision/ledger/?entry={link}" in body
        assert f"?sequence={sequence}" not in body  # a number would count hidden entries
    for bid in alert.evidence["bids"]:
        assert bid["id"] not in body  # bids by their number, never their opaque id
    assert "csrfmiddlewaretoken" in body and "/investigate/" in body


def test_the_regulator_handles_the_case_through_the_pages(alert: Alert, regulator: Person) -> None:
    client = client_of(regulator)
    assert client.post(f"/supervision/alerts/{alert.pk}/investigate/").status_code == 302
    refused = client.post(f"/supervision/alerts/{alert.pk}/close/", {"conclusion": ""})
    assert refused.status_code == 422
    assert "conclusion is required" in refused.content.decode()
    done = client.post(f"/supervision/alerts/{alert.pk}/close/", {"conclusion": "已移送"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED and alert.conclusion == "已移送"


def test_the_centre_reads_but_does_not_handle(alert: Alert, staff: Person) -> None:
    client = client_of(staff)
    page = client.get(f"/supervision/alerts/{alert.pk}/")
    assert page.status_code == 200 and "/investigate/" not in page.content.decode()
    assert client.post(f"/supervision/alerts/{alert.pk}/investigate/").status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


@pytest.mark.parametrize(
    "role", ["other_regulator", "other_centre", "bidder", "tenderee", "superuser"]
)
def test_nobody_else_learns_the_alert_exists(alert: Alert, role: str) -> None:
    people = {
        "other_regulator": (Role.REGULATOR, "regulator"),
        "other_centre": (Role.STAFF, "centre"),
        "bidder": (Role.BIDDER, "bidder"),
        "tenderee": (Role.TENDEREE, "tenderee"),
    }
    if role == "superuser":
        person = PersonFactory.create(organisation=None, is_superuser=True, is_staff=True)
    else:
        person_role, kind = people[role]
        organisation = (
            alert.organisations.first()
            if role == "bidder"
            else OrganisationFactory.create(kind=kind)
        )
        person = PersonFactory.create(organisation=organisation, role=person_role)
    client = client_of(person)
    assert client.get(f"/supervision/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/supervision/alerts/{alert.pk}/investigate/").status_code == 404
    listing = client.get("/supervision/alerts/")
    assert listing.status_code == 404 or b"data-alert=" not in listing.content


def test_the_list_shows_open_alerts_first_and_filters(
    alert: Alert, opened: Section, regulator: Person
) -> None:
    workflow.alert_investigate(alert=alert, actor=regulator)
    workflow.alert_close(alert=alert, actor=regulator, conclusion="正常")
    make_bid(opened, company(), machine_fingerprint="M-9")
    make_bid(opened, company(), machine_fingerprint="M-9", seconds_before=10)
    (fresh,) = runner.run_section(section=opened, rules=[RuleCode.SAME_MACHINE])
    client = client_of(regulator)
    body = client.get("/supervision/alerts/").content.decode()
    assert body.index(f'data-alert="{fresh.pk}"') < body.index(f'data-alert="{alert.pk}"')
    closed_only = client.get("/supervision/alerts/", {"status": "closed"}).content.decode()
    assert (
        f'data-alert="{alert.pk}"' in closed_only and f'data-alert="{fresh.pk}"' not in closed_only
    )
    by_rule = client.get("/supervision/alerts/", {"rule": "same_machine"}).content.decode()
    assert f'data-alert="{fresh.pk}"' in by_rule and f'data-alert="{alert.pk}"' not in by_rule
    other = client.get("/supervision/alerts/", {"section": "NO-SUCH"}).content.decode()
    assert "data-alert=" not in other


def test_a_cross_section_alert_is_seen_by_the_regulator_of_any_section_it_involves(
    opened: Section, more_sections: list[Section], regulator: Person
) -> None:
    ring = [company(), company()]
    for section in [opened, *more_sections]:
        for bidder in ring:
            make_bid(section, bidder)
    runner.run_cross_section()
    (cross,) = Alert.objects.filter(rule=RuleCode.HABITUAL_COBIDDERS)
    assert client_of(regulator).get(f"/supervision/alerts/{cross.pk}/").status_code == 200
    stranger = PersonFactory.create(
        organisation=OrganisationFactory.create(kind="regulator"), role=Role.REGULATOR
    )
    assert client_of(stranger).get(f"/supervision/alerts/{cross.pk}/").status_code == 404


# --- the portal's selectors --------------------------------------------------------------


def test_the_portal_reads_open_alerts_and_alerts_per_month(
    alert: Alert, regulator: Person, staff: Person
) -> None:
    assert list(selectors.open_for(regulator)) == [alert]
    assert selectors.count_open_for(staff) == 1
    months = selectors.per_month(regulator, months=3)
    assert len(months) == 3 and months[-1]["count"] == 1 and months[-1]["open"] == 1
    assert [row["count"] for row in months[:-1]] == [0, 0]
    workflow.alert_investigate(alert=alert, actor=regulator)
    workflow.alert_close(alert=alert, actor=regulator, conclusion="正常")
    assert list(selectors.open_for(regulator)) == []
    # Some day of the next month (Beijing), whatever today's date: the alert's month is then
    # the first of two.
    raised_month = alert.raised_at.astimezone(BEIJING).replace(day=1, hour=12)
    next_month = (raised_month + dt.timedelta(days=40)).replace(day=10)
    with time_machine.travel(next_month, tick=False):
        assert selectors.per_month(regulator, months=2)[0]["count"] == 1
    outsider = PersonFactory.create(role=Role.BIDDER)
    assert selectors.count_open_for(outsider) == 0
