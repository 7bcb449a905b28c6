import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import DatabaseError

from accounts.models import Person
from ggzy import files
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from supervision.models import LedgerEntry
from tests.factories import PersonFactory
from tests.tools import nothing_changes
from tests.trading.conftest import section_fields, upload
from trading import documents, services
from trading.models import (
    Clarification,
    DocumentDownload,
    Notification,
    Project,
    Section,
    TenderDocument,
)

pytestmark = pytest.mark.django_db


def test_a_document_keeps_its_sm3_and_size(draft: Section) -> None:
    document = documents.current_document(draft)
    assert document is not None
    assert document.sm3 == sm3_hex(b"%PDF-1.7 tender documents")
    assert document.size == len(b"%PDF-1.7 tender documents")
    assert document.file.read() == b"%PDF-1.7 tender documents"


def test_after_publication_documents_change_only_through_a_clarification(
    published: Section, tenderee: Person
) -> None:
    with nothing_changes(TenderDocument), pytest.raises(DomainError, match="clarification"):
        documents.document_issue(section=published, actor=tenderee, title="v2", upload=upload())


def test_anyone_may_download_without_registering_and_it_is_recorded(bidding: Section) -> None:
    document = documents.current_document(bidding)
    assert document is not None
    with time_machine.travel(bidding.documents_from + dt.timedelta(days=1), tick=False):
        download = documents.document_download(
            document=document, person=None, address="203.0.113.5", notify_email="a@example.com"
        )
    assert download.organisation is None and download.network_address == "203.0.113.5"


def test_documents_are_not_out_before_their_issue_time(published: Section) -> None:
    document = documents.current_document(published)
    assert document is not None
    with pytest.raises(DomainError):
        documents.document_download(document=document, person=None, address=None)


def test_a_clarification_well_before_the_deadline_leaves_it(
    bidding: Section, tenderee: Person
) -> None:
    deadline = bidding.bid_deadline
    with time_machine.travel(deadline - dt.timedelta(days=16), tick=False):
        clarification = documents.clarification_issue(
            section=bidding, actor=tenderee, title="答疑一", body="第3.2条更正"
        )
    assert clarification.deadline_after == deadline
    assert Section.objects.get(pk=bidding.pk).bid_deadline == deadline


def test_a_clarification_within_15_days_must_move_the_deadline(
    bidding: Section, tenderee: Person
) -> None:
    moment = bidding.bid_deadline - dt.timedelta(days=14)
    with time_machine.travel(moment, tick=False):
        with (
            nothing_changes(Section, Clarification),
            pytest.raises(DomainError) as caught,
        ):
            documents.clarification_issue(section=bidding, actor=tenderee, title="答疑", body="x")
        assert "R21" in caught.value.message and caught.value.field == "new_deadline"
        with nothing_changes(Section, Clarification), pytest.raises(DomainError, match="15 days"):
            documents.clarification_issue(
                section=bidding,
                actor=tenderee,
                title="答疑",
                body="x",
                new_deadline=moment + dt.timedelta(days=15) - dt.timedelta(minutes=1),
            )
        moved = documents.clarification_issue(
            section=bidding,
            actor=tenderee,
            title="答疑",
            body="x",
            new_deadline=moment + dt.timedelta(days=15),
        )
    assert moved.deadline_after == moment + dt.timedelta(days=15)
    bidding.refresh_from_db()
    assert bidding.bid_deadline == moment + dt.timedelta(days=15)
    assert bidding.next_check == bidding.bid_deadline
    assert Clarification.objects.count() == 1  # the refused attempts left nothing


def test_a_deadline_never_moves_earlier(bidding: Section, tenderee: Person) -> None:
    with (
        nothing_changes(Section, Clarification, TenderDocument),
        time_machine.travel(bidding.documents_from, tick=False),
        pytest.raises(DomainError, match="later"),
    ):
        documents.clarification_issue(
            section=bidding,
            actor=tenderee,
            title="答疑",
            body="x",
            new_deadline=bidding.bid_deadline - dt.timedelta(days=1),
        )


def test_an_amendment_is_a_new_document_version_and_everyone_who_downloaded_hears(
    bidding: Section,
    tenderee: Person,
    owner: Person,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = documents.current_document(bidding)
    assert first is not None
    with time_machine.travel(bidding.documents_from + dt.timedelta(hours=1), tick=False):
        documents.document_download(document=first, person=owner, address=None)
        documents.document_download(
            document=first, person=None, address=None, notify_email="x@example.com"
        )
        documents.document_download(document=first, person=PersonFactory.create(), address=None)
    with (
        time_machine.travel(bidding.documents_from + dt.timedelta(days=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        documents.clarification_issue(
            section=bidding,
            actor=tenderee,
            title="修改一",
            body="工程量清单更正",
            upload=upload("招标文件（修改）.pdf", b"%PDF amended"),
        )
    current = documents.current_document(bidding)
    assert current is not None and current.version == 2 and first.version == 1
    notified = Notification.objects.filter(section=bidding)
    assert notified.exclude(organisation=None).count() == 2
    assert [n.email for n in notified.filter(organisation=None)] == ["x@example.com"]
    assert [m.to for m in mail.outbox] == [["x@example.com"]]
    entry = LedgerEntry.objects.get(action="trading.clarification.issued")
    assert entry.data["document_version"] == 2


def test_no_clarification_after_the_deadline(bidding: Section, tenderee: Person) -> None:
    with (
        nothing_changes(Section, Clarification, TenderDocument),
        time_machine.travel(bidding.bid_deadline, tick=False),
        pytest.raises(DomainError, match="after"),
    ):
        documents.clarification_issue(section=bidding, actor=tenderee, title="t", body="b")


def test_downloads_are_counted_silently(bidding: Section) -> None:
    document = documents.current_document(bidding)
    assert document is not None
    with time_machine.travel(bidding.documents_from, tick=False):
        documents.document_download(document=document, person=None, address=None)
    assert DocumentDownload.objects.filter(document=document).count() == 1
    assert not LedgerEntry.objects.filter(action__contains="download").exists()


def stored_files(settings: Any) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def fail_on(
    monkeypatch: pytest.MonkeyPatch, action: str, seen: list[list[str]], settings: Any
) -> None:
    """Make the ledger entry `action` fail (after the file is written), noting the files
    present at that moment."""
    append = ledger.append

    def failing(name: str, **kwargs: Any) -> Any:
        if name == action:
            seen.append(stored_files(settings))
            raise DatabaseError("the database went away")
        return append(name, **kwargs)

    monkeypatch.setattr(ledger, "append", failing)


def test_a_document_whose_transaction_rolls_back_leaves_no_file(
    project: Project, tenderee: Person, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = services.section_create(project=project, actor=tenderee, **section_fields())
    seen: list[list[str]] = []
    fail_on(monkeypatch, "trading.document.issued", seen, settings)
    with pytest.raises(DatabaseError):
        documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    assert len(seen) == 1 and len(seen[0]) == 1  # the file was written before the failure
    assert stored_files(settings) == []
    assert not TenderDocument.objects.filter(section=section).exists()


def test_a_clarification_whose_transaction_rolls_back_leaves_no_amended_file(
    bidding: Section, tenderee: Person, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_files(settings)
    seen: list[list[str]] = []
    fail_on(monkeypatch, "trading.clarification.issued", seen, settings)
    with (
        time_machine.travel(bidding.bid_deadline - dt.timedelta(days=16), tick=False),
        pytest.raises(DatabaseError),
    ):
        documents.clarification_issue(
            section=bidding,
            actor=tenderee,
            title="修改一",
            body="第3.2条更正",
            upload=upload("修改.pdf", b"%PDF-1.7 amended"),
        )
    assert len(seen) == 1 and len(seen[0]) == len(before) + 1  # the amended file was written
    assert stored_files(settings) == before
    assert TenderDocument.objects.filter(section=bidding).count() == 1
    assert not Clarification.objects.filter(section=bidding).exists()


def test_documents_issued_in_a_larger_block_that_fails_leave_no_file(
    project: Project, tenderee: Person, settings: Any
) -> None:
    """As demo_data does: several services in one block, and something after them fails."""
    section = services.section_create(project=project, actor=tenderee, **section_fields())
    with pytest.raises(DatabaseError), files.atomic():
        documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
        assert len(stored_files(settings)) == 1
        raise DatabaseError("a later step failed")
    assert stored_files(settings) == []
