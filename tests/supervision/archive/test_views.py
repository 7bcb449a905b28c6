"""The archive pages: regulators and the centre's staff list and download their sections'
archives (each download is ledgered); the staff seal now; nobody else gets in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import Person, Role
from supervision.archive import services
from supervision.archive.models import Archive
from supervision.models import LedgerEntry
from tests.factories import OrganisationFactory, PersonFactory
from tests.supervision.archive.conftest import verified
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db

LIST = "/supervision/archives/"


def client_of(person: Person) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    return client


def sealed(section: Section) -> Archive:
    services.archive_seal(section=section, actor=None)
    services.archive_store(section_id=section.pk)
    return Archive.objects.get(section=section)


def test_the_regulator_lists_and_downloads_the_archive_and_the_download_is_ledgered(
    failed: Section, regulator: Person
) -> None:
    archive = sealed(failed)
    client = client_of(regulator)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert archive.sm3 in listing.content.decode() and "Seal now" not in listing.content.decode()
    response = client.get(f"{LIST}{failed.code}/download/")
    assert response.status_code == 200
    assert f"ggzy-archive-{failed.code}.zip" in response["Content-Disposition"]
    verified(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    reading = LedgerEntry.objects.get(action="supervision.portal.archive_downloaded")
    assert reading.actor_name == "regulator" and reading.data["sm3"] == archive.sm3


def test_the_centre_staff_seal_a_closed_section_now_from_the_list(
    failed: Section,
    staff: Person,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_of(staff)
    assert "Seal now" in client.get(LIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{LIST}{failed.code}/seal/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == SectionStatus.ARCHIVED
    again = client.post(f"{LIST}{failed.code}/seal/")
    assert again.status_code == 409 and "sealed already" in again.content.decode()


def test_a_regulator_cannot_seal_and_others_cannot_enter(
    failed: Section, regulator: Person, tenderee: Person
) -> None:
    assert client_of(regulator).post(f"{LIST}{failed.code}/seal/").status_code == 403
    outsider = client_of(tenderee)
    assert outsider.get(LIST).status_code == 403
    assert outsider.get(f"{LIST}{failed.code}/download/").status_code == 403
    assert Client().get(LIST).status_code == 302  # to the login page


def test_another_department_s_section_is_not_found(failed: Section) -> None:
    sealed(failed)
    elsewhere = PersonFactory.create(
        username="elsewhere",
        organisation=OrganisationFactory.create(kind="regulator"),
        role=Role.REGULATOR,
    )
    client = client_of(elsewhere)
    assert client.get(f"{LIST}{failed.code}/download/").status_code == 404
    assert client.get(f"{LIST}NO-SUCH-CODE/download/").status_code == 404
    assert failed.code not in client.get(LIST).content.decode()


def test_a_closed_section_not_yet_sealed_has_no_download(failed: Section, staff: Person) -> None:
    client = client_of(staff)
    assert client.get(f"{LIST}{failed.code}/download/").status_code == 404
    assert "Not sealed yet" in client.get(LIST).content.decode()
