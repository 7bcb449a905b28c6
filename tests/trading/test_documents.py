import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail

from accounts.models import Person
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from supervision.models import LedgerEntry
from tests.factories import PersonFactory
from tests.trading.conftest import upload
from trading import documents
from trading.models import Clarification, DocumentDownload, Notification, Section

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
    with pytest.raises(DomainError, match="clarification"):
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
        with pytest.raises(DomainError) as caught:
            documents.clarification_issue(section=bidding, actor=tenderee, title="答疑", body="x")
        assert "R21" in caught.value.message and caught.value.field == "new_deadline"
        with pytest.raises(DomainError, match="15 days"):
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
