"""Sealing a closed section's archive: automatically after ARCHIVE_AFTER, or now by the
centre's staff; the package verifies offline and the section ends ARCHIVED."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.db import connection

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.archive import services
from supervision.archive.models import Archive, ArchiveImmutable
from supervision.models import LedgerEntry
from tests.conftest import requires_postgres
from tests.supervision.archive.conftest import (
    after_archive_delay,
    files_of,
    package_of,
    verified,
)
from trading import chronograph
from trading import services as trading_services
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db


def test_a_failed_section_is_archived_after_the_delay_and_its_package_verifies(
    failed: Section, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    with after_archive_delay(failed), django_capture_on_commit_callbacks(execute=True):
        assert chronograph.apply_time_events(failed.pk) == ["archive_due_failed"]
    failed.refresh_from_db()
    assert failed.status == SectionStatus.ARCHIVED
    archive = Archive.objects.get(section=failed)
    assert archive.closed_as == SectionStatus.FAILED
    assert archive.retain_until.year == archive.sealed_at.year + 15
    data = package_of(failed)
    assert archive.size == len(data) and archive.name.endswith(f"{archive.sm3}.zip")
    verdict = verified(data)
    files = files_of(data)
    receipts = [n for n in files if n.startswith("receipts/received-") and n.endswith(".json")]
    assert len(receipts) == 2 and all(f"{name}.sig" in files for name in receipts)
    assert [n for n in files if n.startswith("tender-documents/")] == ["tender-documents/v1.pdf"]
    assert "section/announcement.json" in files and "platform-key.pem" in files
    # The tender document and both receipts are matched to the ledger entries that
    # recorded them.
    assert verdict.bound == 3
    actions = [json.loads(line)["action"] for line in files["ledger/entries.jsonl"].splitlines()]
    assert actions.count("bidding.bid.received") == 2
    assert "trading.section.failed" in actions and "archive.requested" in actions
    sealed = LedgerEntry.objects.get(action="archive.sealed")
    assert sealed.data["sm3"] == archive.sm3 and sealed.data["entries"] == len(actions)


def test_a_late_or_repeated_tick_requests_the_archive_once(
    failed: Section, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    with after_archive_delay(failed), django_capture_on_commit_callbacks(execute=False):
        chronograph.apply_time_events(failed.pk)  # the task is lost: no callback runs
        assert chronograph.apply_time_events(failed.pk) == []
    assert LedgerEntry.objects.filter(action="archive.requested").count() == 1
    failed.refresh_from_db()
    assert failed.status == SectionStatus.FAILED and failed.next_check is not None
    # An hour later the chronograph asks again, and this time a worker seals it.
    retry = time_machine.travel(failed.next_check, tick=False)
    with retry, django_capture_on_commit_callbacks(execute=True):
        chronograph.apply_time_events(failed.pk)
    assert Archive.objects.filter(section=failed).count() == 1
    assert services.archive_store(section_id=failed.pk) == "done"


def test_a_cancelled_draft_is_sealed_now_by_the_centre_staff(
    draft: Section,
    tenderee: Person,
    staff: Person,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    trading_services.section_cancel(section=draft, actor=tenderee, reason="项目取消")
    with django_capture_on_commit_callbacks(execute=True):
        services.archive_seal(section=draft, actor=staff)
    archive = Archive.objects.get(section=draft)
    assert archive.sealed_by == staff and archive.closed_as == SectionStatus.CANCELLED
    verified(package_of(draft))


def test_only_a_closed_section_of_the_staff_s_centre_is_sealed(
    failed: Section, tenderee: Person, staff: Person
) -> None:
    with pytest.raises(DomainError) as refused:
        services.archive_seal(section=failed, actor=tenderee)
    assert refused.value.code == "forbidden"
    Section.objects.filter(pk=failed.pk).update(status=SectionStatus.EVALUATION)
    with pytest.raises(DomainError) as refused:
        services.archive_seal(section=failed, actor=staff)
    assert refused.value.code == "conflict" and "contracted, failed or cancelled" in str(
        refused.value
    )


def test_a_sealed_archive_is_sealed_once_and_never_changed(
    failed: Section, staff: Person, django_capture_on_commit_callbacks: Any
) -> None:
    services.archive_seal(section=failed, actor=staff)
    assert services.archive_store(section_id=failed.pk) == "sealed"
    archive = Archive.objects.get(section=failed)
    with pytest.raises(DomainError) as refused:
        Section.objects.filter(pk=failed.pk).update(status=SectionStatus.FAILED)
        services.archive_seal(section=failed, actor=staff)
    assert refused.value.code == "conflict"
    archive.size = 1
    with pytest.raises(ArchiveImmutable):
        archive.save()
    with pytest.raises(ArchiveImmutable):
        archive.delete()
    with pytest.raises(ArchiveImmutable):
        Archive.objects.filter(pk=archive.pk).update(size=1)
    with pytest.raises(ArchiveImmutable):
        Archive.objects.filter(pk=archive.pk).delete()


@requires_postgres
def test_the_database_refuses_to_change_or_delete_an_archive(failed: Section) -> None:
    services.archive_seal(section=failed, actor=None)
    services.archive_store(section_id=failed.pk)
    archive = Archive.objects.get(section=failed)
    from django.db import transaction
    from django.db.utils import ProgrammingError

    for statement in ("UPDATE archive_archive SET size = 1", "DELETE FROM archive_archive"):
        with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{statement} WHERE id = %s", [archive.pk])
    assert Archive.objects.get(pk=archive.pk).size == archive.size


def test_a_section_cancelled_before_its_deadline_is_sealed_only_after_it(
    section: Section,
    bidders: list[Any],
    tenderee: Person,
    staff: Person,
    tmp_path: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Its receipts would tell who bid before the original deadline [E21]."""
    from tests.bidding.conftest import seal_bid, upload_whole

    data = seal_bid(section, bidders[0], tmp_path)
    assert upload_whole(bidders[0].client(), section, data).status_code == 204
    trading_services.section_cancel(section=section, actor=tenderee, reason="项目取消")
    with pytest.raises(DomainError) as refused:
        services.archive_seal(section=section, actor=staff)
    assert "Bids stay secret until the original deadline" in str(refused.value)
    assert services.archive_store(section_id=section.pk) == "open"
    section.refresh_from_db()
    assert section.next_check is not None and section.next_check >= section.bid_deadline
    with after_archive_delay(section), django_capture_on_commit_callbacks(execute=True):
        chronograph.apply_time_events(section.pk)
    assert Archive.objects.filter(section=section).exists()
