import datetime as dt
from typing import cast

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Person
from tests.conftest import client_for
from tests.trading.conftest import Holders, section_fields, upload
from trading import chronograph, documents
from trading.models import DocumentDownload, Project, Section, SectionStatus

pytestmark = pytest.mark.django_db


def test_the_announcements_list_shows_published_sections_and_hides_drafts(
    published: Section, project: Project, tenderee: Person
) -> None:
    from trading import services

    services.section_create(
        project=project, actor=tenderee, **section_fields(name="尚未发布的标段")
    )
    page = Client().get(reverse("trading:announcements")).content.decode()
    assert published.code in page and "尚未发布的标段" not in page


def test_announcements_can_be_searched_and_filtered(published: Section) -> None:
    client = Client()
    assert (
        published.code
        in client.get(reverse("trading:announcements"), {"q": "滨江路"}).content.decode()
    )
    assert (
        published.code
        not in client.get(reverse("trading:announcements"), {"q": "机场"}).content.decode()
    )
    assert (
        published.code
        not in client.get(reverse("trading:announcements"), {"category": "goods"}).content.decode()
    )


def test_a_section_page_shows_the_timetable_and_a_server_time_countdown(published: Section) -> None:
    response = Client().get(reverse("trading:section", args=[published.code]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-countdown-to="{int(published.bid_deadline.timestamp() * 1000)}"' in page
    assert "滨江路" in page


def test_a_draft_page_is_not_found_for_the_public(draft: Section) -> None:
    assert Client().get(reverse("trading:section", args=[draft.code])).status_code == 404


def test_anyone_downloads_the_documents_without_logging_in(published: Section) -> None:
    document = published.documents.get()
    with time_machine.travel(published.documents_from + dt.timedelta(minutes=5), tick=False):
        chronograph.apply_time_events(published.pk)
        response = Client(REMOTE_ADDR="203.0.113.77").post(
            reverse("trading:download", args=[document.pk]), {"notify_email": "bidder@example.com"}
        )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 tender documents"  # type: ignore[attr-defined]
    download = DocumentDownload.objects.get()
    assert (
        download.notify_email == "bidder@example.com" and download.network_address == "203.0.113.77"
    )


def test_the_tenderee_creates_uploads_and_publishes_through_the_pages(
    tenderee: Person, holders: Holders
) -> None:
    client = client_for(tenderee)
    client.post(
        reverse("trading:my_sections"),
        {
            "code": "GGZY-2026-009",
            "name": "体育馆维修",
            "centre": holders.centre.pk,
            "regulator": holders.regulator.pk,
        },
    )
    project = Project.objects.get(code="GGZY-2026-009")
    fields = section_fields()
    response = client.post(
        reverse("trading:section_new", args=[project.pk]),
        {
            **{k: v for k, v in fields.items() if not isinstance(v, dt.datetime)},
            "documents_from": cast(dt.datetime, fields["documents_from"]).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "bid_deadline": cast(dt.datetime, fields["bid_deadline"]).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    section = Section.objects.get(project=project)
    assert response.status_code == 302
    client.post(
        reverse("trading:document_upload", args=[section.pk]),
        {"title": "招标文件", "file": upload()},
    )
    client.post(reverse("trading:publish", args=[section.pk]))
    section.refresh_from_db()
    assert section.status == SectionStatus.PUBLISHED and section.opening_key_fingerprint


def test_a_bidder_cannot_reach_the_management_page(published: Section, owner: Person) -> None:
    response = client_for(owner).get(reverse("trading:manage", args=[published.pk]))
    assert response.status_code == 403


HIDDEN_DOWNLOADS = (
    "Who downloaded, and how many, stays hidden from everyone until the bid deadline."
)


def test_the_management_page_hides_downloads_until_the_deadline(
    bidding: Section, tenderee: Person
) -> None:
    document = documents.current_document(bidding)
    assert document is not None
    manage = reverse("trading:manage", args=[bidding.pk])
    with time_machine.travel(bidding.documents_from + dt.timedelta(days=1), tick=False):
        documents.document_download(document=document, person=None, address="203.0.113.5")
        before = client_for(tenderee).get(manage)
    with translation.override("zh-hans"):
        hidden = gettext(HIDDEN_DOWNLOADS)
    assert before.context["downloads"] is None and hidden in before.content.decode()
    with time_machine.travel(bidding.bid_deadline, tick=False):
        after = client_for(tenderee).get(manage)
    assert [d.network_address for d in after.context["downloads"]] == ["203.0.113.5"]
    assert hidden not in after.content.decode()


def test_the_opening_key_and_section_data_are_public_for_sealing(published: Section) -> None:
    from ggzy_core.gm import sm2

    pem = Client().get(reverse("trading:opening_key", args=[published.code])).content
    assert sm2.load_public_key(pem).fingerprint() == published.opening_key_fingerprint
    data = Client().get(f"/api/sections/{published.code}").json()
    assert data["id"] == published.pk and data["opening_key_pem"] == published.opening_key_pem


def test_a_draft_has_no_public_section_data(draft: Section) -> None:
    assert Client().get(f"/api/sections/{draft.code}").status_code == 404
