"""A failed or cancelled section is tendered again as a new draft linked to it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.trading.conftest import section_fields
from trading import retender, services, transitions
from trading.models import Section, SectionStatus


def test_a_cancelled_section_is_tendered_again_as_a_linked_draft(
    published: Section, tenderee: Person
) -> None:
    services.section_cancel(section=published, actor=tenderee, reason="需求变更 / scope changed")
    new = retender.section_retender(
        section=published, actor=tenderee, **section_fields(name="施工一标段（重新招标）")
    )
    assert new.status == SectionStatus.DRAFT and new.retender_of == published
    assert new.project == published.project and new.code != published.code
    entry = LedgerEntry.objects.get(action="trading.section.retendered")
    assert entry.data["from"] == published.code and entry.data["to"] == new.code


def test_a_section_still_in_its_tender_is_not_tendered_again(
    published: Section, tenderee: Person
) -> None:
    with pytest.raises(DomainError, match="cancel it first") as caught:
        retender.section_retender(section=published, actor=tenderee, **section_fields())
    assert caught.value.code == "conflict"
    assert not Section.objects.filter(retender_of=published).exists()


def test_a_section_is_tendered_again_only_once(published: Section, tenderee: Person) -> None:
    services.section_cancel(section=published, actor=tenderee, reason="终止 / terminated")
    first = retender.section_retender(section=published, actor=tenderee, **section_fields())
    with pytest.raises(DomainError, match=first.code):
        retender.section_retender(section=published, actor=tenderee, **section_fields())


def test_an_archived_section_that_failed_may_still_be_tendered_again(
    published: Section, tenderee: Person
) -> None:
    services.section_cancel(section=published, actor=tenderee, reason="终止 / terminated")
    locked = Section.objects.get(pk=published.pk)
    transitions.apply(locked, SectionStatus.ARCHIVED, actor=tenderee)
    assert retender.ended_without_contract(locked)
    new = retender.section_retender(section=locked, actor=tenderee, **section_fields())
    assert new.retender_of_id == locked.pk


def test_the_tenderee_starts_from_the_old_sections_terms_and_both_pages_link(
    published: Section, tenderee: Person
) -> None:
    services.section_cancel(section=published, actor=tenderee, reason="终止 / terminated")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(tenderee)
    form_page = client.get(f"/manage/sections/{published.pk}/retender/")
    assert form_page.status_code == 200
    assert published.name in form_page.content.decode()
    fields = section_fields()
    data = {
        key: value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else value
        for key, value in fields.items()
        if value is not None
    }
    response = client.post(f"/manage/sections/{published.pk}/retender/", data)
    assert response.status_code == 302
    new = Section.objects.get(retender_of=published)
    old_page = client.get(f"/sections/{published.code}/").content.decode()
    assert f"/sections/{new.code}/" in old_page and "Tendered again as" in old_page
    assert f"/sections/{published.code}/" in client.get(f"/sections/{new.code}/").content.decode()


def test_the_form_is_not_offered_for_a_section_still_in_its_tender(
    published: Section, tenderee: Person
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(tenderee)
    response = client.get(f"/manage/sections/{published.pk}/retender/", follow=True)
    assert "Only a failed or cancelled section can be tendered again" in response.content.decode()
    assert not Section.objects.filter(retender_of=published).exists()
