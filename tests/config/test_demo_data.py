"""`manage.py demo_data`: logins printed once (by run-demo), paths that mean one folder, and a
demo opening that says when it is over and how to try it again."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import Person
from config.management.commands.demo_data import DEMO_PASSWORD, DEMO_PROJECT
from ggzy import clock
from realtime.models import Hall, HallStage
from trading import chronograph
from trading.models import Section

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_settings(settings: Any, tmp_path: Path) -> Path:
    """The demo runs in DEBUG (pytest-django turns it off) with its own var directory."""
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return Path(settings.VAR_DIR)


def demo_data(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


def demo_opening() -> Section:
    return Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk")[1]


def test_creating_the_demo_data_does_not_print_the_logins_that_run_demo_prints(
    demo_settings: Path,
) -> None:
    created = demo_data()
    assert DEMO_PASSWORD not in created and "bidder1" not in created
    assert DEMO_PROJECT not in created  # the sections too are printed once, with the logins
    assert "created" in created and str(demo_settings) in created
    logins = demo_data("--print-logins")
    assert logins.count(DEMO_PASSWORD) == 1
    for username in ("bidder1", "tenderee", "centre", "regulator", "expert1", "admin"):
        assert username in logins
    assert "no password" in logins


def test_running_it_twice_changes_nothing_and_says_so(demo_settings: Path) -> None:
    demo_data()
    people = Person.objects.count()
    again = demo_data()
    assert "already present" in again
    assert Person.objects.count() == people


def test_the_printed_key_and_bid_paths_are_absolute_paths_in_the_var_directory(
    demo_settings: Path,
) -> None:
    demo_data()
    out = demo_data("--print-logins")
    key = demo_settings / "demo-keys" / "bidder1.pem"
    assert key.is_absolute() and f"SM2 key: {key}" in out
    assert f"{demo_settings / 'demo-bids'}/<user>.gbid" in out


def test_a_demo_opening_to_come_is_announced_with_its_time_and_zone(demo_settings: Path) -> None:
    demo_data()
    out = demo_data("--print-logins")
    opening = demo_opening()
    assert f"An opening to try: {opening.code} opens at" in out
    assert "Asia/Shanghai" in out


def test_after_the_demo_opening_has_closed_it_says_so_and_how_to_reset(
    demo_settings: Path,
) -> None:
    demo_data()
    opening = demo_opening()
    with time_machine.travel(opening.bid_deadline + dt.timedelta(seconds=1), tick=False):
        chronograph.apply_time_events(opening.pk)
        # The hall's own stages are tested in tests/realtime; here only its end matters.
        Hall.objects.filter(section=opening).update(
            stage=HallStage.CLOSED, stage_started_at=clock.now()
        )
        out = demo_data("--print-logins")
    assert "An opening to try" not in out
    assert "is over" in out and "make demo-reset" in out


def test_while_the_demo_opening_runs_it_says_it_is_under_way(demo_settings: Path) -> None:
    demo_data()
    opening = demo_opening()
    with time_machine.travel(opening.bid_deadline + dt.timedelta(seconds=1), tick=False):
        chronograph.apply_time_events(opening.pk)
        out = demo_data("--print-logins")
    assert "under way" in out and f"/halls/{opening.code}/" in out


def test_a_relative_var_directory_becomes_absolute(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    env.update({"DEBUG": "true", "GGZY_VAR_DIR": "demo-var"})
    show = (
        "import django; django.setup(); from django.conf import settings; print(settings.VAR_DIR)"
    )
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == (tmp_path / "demo-var").resolve()
