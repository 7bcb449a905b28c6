"""The chronograph's ETA tick, through a real broker and a real Celery worker process: a
section published with its documents due in a few seconds moves to bidding by itself."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import Person
from ggzy import clock
from tests import servers
from tests.trading.conftest import section_fields, upload
from trading import documents, services
from trading.models import Project, Section, SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_opens_bidding_at_the_documents_issue_time(
    project: Project, tenderee: Person, tmp_path: Path
) -> None:
    # The worker must share the broker: Redis when set, else this run's filesystem folder.
    var_dir = Path(settings.VAR_DIR)
    due = clock.now() + dt.timedelta(seconds=4)
    with servers.celery_worker(var_dir) as worker:
        section = services.section_create(
            project=project,
            actor=tenderee,
            **section_fields(documents_from=due, bid_deadline=due + dt.timedelta(days=20)),
        )
        documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
        services.section_publish(section=section, actor=tenderee)  # queues the ETA tick on commit
        limit = time.monotonic() + 60
        while Section.objects.get(pk=section.pk).status != SectionStatus.BIDDING:
            assert worker.poll() is None, (var_dir / "worker.log").read_text()[-3000:]
            assert time.monotonic() < limit, (var_dir / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
    section.refresh_from_db()
    assert section.next_check == section.bid_deadline
    # Not before its time: the ETA held the tick until the documents were due.
    from supervision.models import LedgerEntry

    opened = LedgerEntry.objects.get(action="trading.section.bidding", target_id=str(section.pk))
    assert opened.recorded_at >= due and opened.actor_name == "system"
