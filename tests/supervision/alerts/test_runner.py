"""Running the rules: once per finding, never before the deadline, on events and on the
beat's schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger
from supervision.alerts import runner, tasks
from supervision.alerts.models import Alert, RuleCode
from supervision.alerts.receivers import run_rules_on_change
from supervision.models import LedgerEntry
from tests.supervision.alerts.conftest import company, make_bid, open_bid
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db


def shared_address(section: Section) -> list[Any]:
    first, second = company(), company()
    return [
        make_bid(section, first, network_address="203.0.113.7"),
        make_bid(section, second, network_address="203.0.113.7", seconds_before=60),
    ]


def test_a_rerun_does_not_duplicate_an_alert_nor_ledger_it_again(opened: Section) -> None:
    shared_address(opened)
    runner.run_section(section=opened)
    entries = LedgerEntry.objects.filter(action__startswith="alerts.").count()
    assert runner.run_section(section=opened) == []
    assert Alert.objects.filter(rule=RuleCode.SAME_UPLOAD_ADDRESS).count() == 1
    assert LedgerEntry.objects.filter(action__startswith="alerts.").count() == entries == 1


def test_a_rerun_adds_new_evidence_to_the_same_alert(opened: Section) -> None:
    bids = shared_address(opened)
    (alert,) = runner.run_section(section=opened)
    open_bid(bids[0], 1)  # the hall numbered the bids since
    (again,) = runner.run_section(section=opened)
    assert again.pk == alert.pk
    assert [bid["number"] for bid in again.evidence["bids"]] == [1, None]
    assert again.evidence_updated_at is not None
    assert LedgerEntry.objects.filter(action="alerts.alert.evidence_added").count() == 1


def test_the_ledger_keeps_the_rule_and_whom_but_not_the_compared_values(opened: Section) -> None:
    shared_address(opened)
    (alert,) = runner.run_section(section=opened)
    entry = LedgerEntry.objects.get(action="alerts.alert.raised")
    assert entry.target_id == str(alert.pk)
    assert entry.data["rule"] == RuleCode.SAME_UPLOAD_ADDRESS
    assert len(entry.data["organisations"]) == 2
    assert "203.0.113.7" not in str(entry.data)
    assert entry.embargo == opened.embargo_scope  # lifted already: visible
    assert ledger.visible().filter(pk=entry.pk).exists()


def test_the_rules_refuse_a_section_before_its_deadline(sealed: Section) -> None:
    shared_address(sealed)
    entries = LedgerEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        runner.run_section(section=sealed)
    assert refused.value.code == "too_early"
    assert "截止" in refused.value.message and "deadline" in refused.value.message
    assert runner.sweep() == 0
    assert tasks.run_section(sealed.pk) == 0
    assert not Alert.objects.exists()
    assert LedgerEntry.objects.count() == entries


def test_a_section_past_its_deadline_but_still_marked_bidding_waits(opened: Section) -> None:
    """The chronograph has not closed it yet: its bids are not final in the platform's eyes."""
    Section.objects.filter(pk=opened.pk).update(status=SectionStatus.BIDDING)
    shared_address(opened)
    assert tasks.run_section(opened.pk) == 0
    assert not Alert.objects.exists()


def test_the_pages_show_nothing_before_the_deadline(
    sealed: Section, regulator: Person, staff: Person
) -> None:
    shared_address(sealed)
    # Even an alert that somehow existed early stays hidden until the deadline.
    early = Alert.objects.create(
        rule=RuleCode.SAME_UPLOAD_ADDRESS,
        section=sealed,
        fingerprint="f" * 64,
        summary="早 / early",
        raised_at=clock.now(),
    )
    early.sections.add(sealed)
    for person in (regulator, staff):
        client = Client()
        client.force_login(person)
        page = client.get("/supervision/alerts/")
        assert page.status_code == 200
        assert b"data-alert=" not in page.content
        assert client.get(f"/supervision/alerts/{early.pk}/").status_code == 404


def test_the_beat_sweeps_recent_sections_and_the_cross_section_rules(
    opened: Section, more_sections: list[Section]
) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["alerts-sweep"]["task"] == "supervision.alerts.tasks.sweep"
    shared_address(opened)
    ring = [company(), company()]
    for section in [opened, *more_sections]:
        for bidder in ring:
            make_bid(section, bidder, seconds_before=7200)
    assert tasks.sweep() >= 2
    assert set(Alert.objects.values_list("rule", flat=True)) >= {
        RuleCode.SAME_UPLOAD_ADDRESS,
        RuleCode.HABITUAL_COBIDDERS,
    }
    assert tasks.sweep() == 0  # idempotent


def test_the_sweep_leaves_sections_older_than_its_window(opened: Section) -> None:
    shared_address(opened)
    with time_machine.travel(clock.now() + dt.timedelta(days=31), tick=False):
        tasks.sweep()
    assert not Alert.objects.exists()


def test_leaving_bidding_queues_the_rules_after_commit(
    opened: Section, django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    shared_address(opened)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_rules_on_change(
            sender=None, section=opened, source=SectionStatus.BIDDING, target=SectionStatus.OPENING
        )
    assert len(callbacks) == 1
    assert Alert.objects.filter(rule=RuleCode.SAME_UPLOAD_ADDRESS).count() == 1


def test_a_change_that_brings_no_new_facts_queues_nothing(
    opened: Section, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        run_rules_on_change(
            sender=None,
            section=opened,
            source=SectionStatus.PUBLICITY,
            target=SectionStatus.AWARDED,
        )
    assert callbacks == []
