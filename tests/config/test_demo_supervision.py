"""The demo's regulator finds the demo opening's timeline, a complaint from the start, and
once the opening's deadline has passed at least two alerts on it (one legal representative
over two bidders [R34]; three bids sealed on one machine [R40])."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person
from supervision.alerts import selectors as alert_selectors
from supervision.alerts.models import Alert
from supervision.complaints import selectors as complaint_selectors
from supervision.portal import timeline
from tests.config.test_demo_data import demo_data, demo_opening, demo_settings  # noqa: F401
from tests.realtime.conftest import eager_celery  # noqa: F401
from trading import chronograph

pytestmark = pytest.mark.django_db


def test_the_demo_regulator_has_a_complaint_from_the_start(
    demo_settings: Path,  # noqa: F811
) -> None:
    demo_data()
    regulator = Person.objects.get(username="regulator")
    (complaint,) = complaint_selectors.open_for(regulator)
    assert complaint.filed_by.username == "bidder2"
    assert alert_selectors.count_open_for(regulator) == 0  # nothing about bids yet [E21]
    demo_data()  # a second run files nothing twice
    assert complaint_selectors.counts_for(regulator).open == 1


def test_after_the_opening_the_regulator_sees_its_timeline_and_two_alerts(
    demo_settings: Path,  # noqa: F811
    eager_celery: None,  # noqa: F811
    django_capture_on_commit_callbacks: object,
) -> None:
    demo_data()
    opening = demo_opening()
    regulator = Person.objects.get(username="regulator")
    with time_machine.travel(opening.bid_deadline + dt.timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            chronograph.apply_time_events(opening.pk)  # the rules run when bidding ends
        rules = set(alert_selectors.open_for(regulator).values_list("rule", flat=True))
        actions = [step.action for phase in timeline.timeline(opening) for step in phase.steps]
        client = Client()
        client.force_login(regulator)
        page = client.get(reverse("supervision:timeline", kwargs={"code": opening.code}))
    assert {"same_machine", "same_legal_representative"} <= rules, rules
    assert actions.count("bidding.bid.received") == 3
    assert page.status_code == 200
    assert Alert.objects.filter(section=opening).count() >= 2
