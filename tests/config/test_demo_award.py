"""`demo_award`: after the demo evaluation, the rest of the demo tender one step a run — an
objection to the result and its answer, the award and its notices, the contract, the
archive — each run saying what comes next."""

from __future__ import annotations

import datetime as dt
import subprocess  # nosec B404 # the offline check runs as its own process
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management.base import CommandError

from accounts.models import Person
from award.models import Award, AwardStatus, Publicity, ResultNotice, ResultObjection
from deposits.models import Guarantee, GuaranteeStatus
from experts import evaluation as evaluations
from ggzy_core.evaluation import report_message
from supervision.archive.models import Archive
from tests.config.test_demo_evaluation import (  # noqa: F401  # fixtures
    closed,
    demo_opening,
    demo_var,
    key_of,
    run,
    score_and_conclude_as_expert1,
    staff_group,
    the_evaluation,
)
from tests.realtime.conftest import eager_celery  # noqa: F401  # a fixture
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def finish_the_evaluation(var: Path) -> None:
    run("demo_evaluation")
    evaluation = the_evaluation()
    score_and_conclude_as_expert1(evaluation)
    run("demo_evaluation")
    evaluation.refresh_from_db()
    evaluations.report_sign(
        evaluation=evaluation,
        actor=Person.objects.get(username="expert1"),
        agrees=True,
        signature=key_of(var, "expert1").sign(
            report_message(evaluation.report_sm3, agrees=True, dissent="")
        ),
    )
    assert demo_opening().status == SectionStatus.PUBLICITY


def test_before_publicity_it_says_to_finish_the_evaluation(demo_var: Path) -> None:  # noqa: F811
    run("demo_data")
    with pytest.raises(CommandError, match="make demo-evaluation"):
        run("demo_award")


def test_it_walks_the_demo_section_from_publicity_to_a_verified_archive(
    closed: Path,  # noqa: F811
    settings: Any,
) -> None:
    finish_the_evaluation(closed)
    section = demo_opening()
    publicity = Publicity.objects.get(section=section)

    raised = run("demo_award")
    objection = ResultObjection.objects.get(section=section)
    assert objection.organisation.people.filter(username="bidder2").exists()
    assert objection.answered_at is None and "/award/" in raised

    answered = run("demo_award")
    objection.refresh_from_db()
    assert objection.answered_at is not None and objection.outcome == "dismissed"
    assert "Publicized until" in answered and not Award.objects.exists()
    again = run("demo_award")  # until publicity is over, a run changes nothing more
    assert ResultObjection.objects.count() == 1 and not Award.objects.exists()
    assert "Publicized until" in again

    with time_machine.travel(publicity.ends_at + dt.timedelta(seconds=1), tick=False):
        awarded = run("demo_award")
        award = Award.objects.get(section=section)
        assert award.status == AwardStatus.NOTIFIED and award.rank == 1
        assert ResultNotice.objects.filter(award=award).count() == 2
        assert "/award/notices/" in awarded

        contracted = run("demo_award")
        section.refresh_from_db()
        assert section.status == SectionStatus.CONTRACTED
        assert award.contract.price == award.price
        # The deposits follow the contract [R57]: bidder2's guarantee is released (the
        # demo's cash deposit needs the bank simulator, which this test does not run).
        assert Guarantee.objects.filter(section=section, status=GuaranteeStatus.RELEASED).exists()
        assert "R57" in contracted

        run("demo_award")  # the archive, sealed by the task (run in-process here)
        section.refresh_from_db()
        assert section.status == SectionStatus.ARCHIVED
        archive = Archive.objects.get(section=section)
        done = run("demo_award")
        assert archive.sm3 in done and "verify_archive" in done

    target = closed / "archive.zip"
    with default_storage.open(archive.name, "rb") as stored:
        target.write_bytes(stored.read())
    checked = subprocess.run(  # nosec B603 # our own interpreter and command
        [sys.executable, "-m", "ggzy_core.archive", str(target)],
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
