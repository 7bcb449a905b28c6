"""The regulator's workbench: complaints to accept or not within 3 working days [R60] and
to decide within 30 [R61], overdue once their due day has passed; open alerts with their
charts per week and per signal — none before every involved section's deadline [E21]."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from accounts import workbench
from accounts.models import Person, Role
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision.alerts.models import Alert, RuleCode
from tests.conftest import client_for
from tests.factories import PersonFactory
from tests.supervision.complaints.conftest import Parties, file_other, go, parties  # noqa: F401
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db


def panels(person: Person) -> dict[str, workbench.Panel]:
    with translation.override("en"):
        return {panel.key: panel for panel in workbench.panels_for(person, clock.now())}


def test_a_complaint_to_accept_is_due_on_its_third_working_day_and_overdue_after(
    parties: Parties,
) -> None:
    complaint = file_other(parties, dt.date(2026, 9, 2))
    [item] = panels(parties.regulator)["complaints"].items
    assert (
        item.title == f"Accept or not: complaint {complaint.number} on {parties.section.code} [R60]"
    )
    assert item.due == complaint.acceptance_due and item.state == workbench.UPCOMING
    assert parties.complainant.organisation is not None
    assert parties.complainant.organisation.name not in str(item.title) + str(item.detail)
    day_after = complaint.acceptance_due + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(day_after, dt.time(9), tzinfo=BEIJING)):
        [late] = panels(parties.regulator)["complaints"].items
        [own] = panels(parties.complainant)["complaints"].items
    assert late.state == workbench.LATE
    assert own.title == f"Our complaint {complaint.number} on {parties.section.code}"
    assert panels(parties.other_regulator)["complaints"].items == []


def test_an_open_alert_shows_with_its_charts_only_once_the_deadline_has_passed(
    published: Section, holders: Holders
) -> None:
    regulator = PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)
    alert = Alert.objects.create(
        rule=RuleCode.SAME_MACHINE,
        section=published,
        fingerprint="same-machine-test",
        summary="两家投标人的机器码相同",
        raised_at=clock.now(),
    )
    alert.sections.add(published)
    assert panels(regulator)["alerts"].items == []
    with time_machine.travel(published.bid_deadline + dt.timedelta(hours=1)):
        mine = panels(regulator)
        page = client_for(regulator).get(reverse("accounts:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    [item] = mine["alerts"].items
    assert item.url == reverse("alerts:detail", kwargs={"pk": alert.pk})
    assert str(RuleCode.SAME_MACHINE.label) in str(item.title)
    signals = mine["signals"].chart
    assert signals is not None and signals.labels == [RuleCode.SAME_MACHINE.label]
    html = page.content.decode()
    assert 'data-chart="chart-alerts"' in html and 'data-chart="chart-signals"' in html
