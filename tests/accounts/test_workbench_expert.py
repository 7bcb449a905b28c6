"""The expert's workbench: calls to confirm before their answer time (overdue after it),
nothing for a backup still standing by; the centre's draws to run."""

# ruff: noqa: F811  (the fixtures imported below are redefined as test parameters)
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from accounts import workbench
from accounts.models import Person, Role
from experts import draw as draws
from experts.models import Draw, Seat, SeatStatus, Specialty
from ggzy import clock
from tests.experts.conftest import clerk, closed, codes, drawn, expert  # noqa: F401
from tests.factories import PersonFactory
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db


def panels(person: Person) -> dict[str, workbench.Panel]:
    with translation.override("en"):
        return {panel.key: panel for panel in workbench.panels_for(person, clock.now())}


def test_a_called_expert_confirms_before_the_answer_time_and_is_overdue_after(
    drawn: Draw,
) -> None:
    seat = Seat.objects.filter(draw=drawn, status=SeatStatus.CALLED).first()
    assert seat is not None and seat.answer_by is not None and seat.expert.person is not None
    person = seat.expert.person
    [item] = panels(person)["calls"].items
    assert item.title == f"Call to evaluate {drawn.section.code}"
    assert item.url == reverse("experts:seat", kwargs={"pk": seat.pk})
    assert item.state in (workbench.DUE_TODAY, workbench.UPCOMING)
    with time_machine.travel(seat.answer_by + dt.timedelta(minutes=1)):
        [late] = panels(person)["calls"].items
    assert late.state == workbench.LATE and late.due == seat.answer_by


def test_a_backup_standing_by_learns_nothing_of_its_seat(drawn: Draw) -> None:
    backup = Seat.objects.get(draw=drawn, status=SeatStatus.STANDBY)
    assert backup.expert.person is not None
    assert panels(backup.expert.person)["calls"].items == []


def test_a_requested_draw_is_the_centres_to_run_today(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    for _ in range(5):
        member = expert(codes["A0801"])
        member.person = PersonFactory.create(organisation=None, role=Role.EXPERT)
        member.save()
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 4, backups=1)],
        representatives=1,
        evaluation_on=dt.date(2026, 6, 1),
        actor=clerk,
    )
    [item] = panels(clerk)["draws"].items
    assert item.title == f"Run the expert draw for {closed.code}"
    assert item.state == workbench.DUE_TODAY
    with time_machine.travel(clock.now() + dt.timedelta(days=1)):
        assert panels(clerk)["draws"].items[0].state == workbench.LATE
    draws.draw_run(draw=draw, actor=clerk)
    assert panels(clerk)["draws"].items == []
