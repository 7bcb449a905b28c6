"""The ceremony's endpoints (what ggzy-bid drives): the holders and the tenderee see it,
nobody else learns the draft exists; dealings and verifications go through signed, and every
refusal says why in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import OrganisationKind, Person, Role
from tests.factories import OrganisationFactory, PersonFactory
from tests.trading import ceremony_helpers as holders_side
from tests.trading.ceremony_helpers import Party, bilingual
from tests.trading.conftest import Holders, section_fields, upload
from trading import documents, services
from trading.models import KeyCeremony, OpeningKeyMode, Project, Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def dkg_draft(project: Project, tenderee: Person) -> Section:
    section = services.section_create(
        project=project, actor=tenderee, **section_fields(opening_key_mode=OpeningKeyMode.DKG)
    )
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    return section


@pytest.fixture
def parties(holders: Holders, tenderee: Person) -> dict[int, Party]:
    return holders_side.parties(holders, tenderee)


def client_of(person: Person | None) -> APIClient:
    client = APIClient()
    if person is not None:
        client.force_authenticate(person)
    return client


def url(section: Section, what: str = "") -> str:
    return f"/api/sections/{section.code}/ceremony{'/' + what if what else ''}"


def start(section: Section, tenderee: Person) -> KeyCeremony:
    response = client_of(tenderee).post(url(section, "start"))
    assert response.status_code == 200, response.content
    return KeyCeremony.objects.get(pk=response.json()["ceremony"])


def post_dealing(section: Section, found: KeyCeremony, party: Party) -> Any:
    document = holders_side.dealing_for(section, found, party).document()
    signature = holders_side.signed(document, party.key, dealing=True).hex()
    return client_of(party.person).post(
        url(section, "dealing"), {"document": document, "signature": signature}, format="json"
    )


def post_verification(section: Section, found: KeyCeremony, party: Party) -> Any:
    complaints = holders_side.review(found, party).complaints
    document = holders_side.verification(section, found, party, complaints)
    signature = holders_side.signed(document, party.key, dealing=False).hex()
    return client_of(party.person).post(
        url(section, "verification"), {"document": document, "signature": signature}, format="json"
    )


def test_the_holders_run_the_whole_ceremony_through_the_api(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party]
) -> None:
    found = start(dkg_draft, tenderee)
    seen = client_of(parties[2].person).get(url(dkg_draft)).json()
    assert seen["status"] == "collecting" and seen["you"] == 2 and seen["threshold"] == 2
    assert [h["index"] for h in seen["holders"]] == [1, 2, 3]
    assert seen["holders"][1]["public_key_pem"] == found.holders.get(index=2).public_key_pem
    assert seen["deadline_ms"] > 0 and bilingual(seen["detail"])
    for party in parties.values():
        assert post_dealing(dkg_draft, found, party).status_code == 200
    for party in parties.values():
        answer = post_verification(dkg_draft, found, party)
        assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "complete" and body["opening_key_pem"]
    assert [d["dealer"] for d in body["dealings"]] == [1, 2, 3]
    assert all(h["dealt"] and h["verified"] and h["excluded"] is None for h in body["holders"])
    dkg_draft.refresh_from_db()
    assert body["opening_key_pem"] == dkg_draft.opening_key_pem


def test_nobody_but_the_holders_and_the_tenderee_learns_of_the_ceremony(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party]
) -> None:
    start(dkg_draft, tenderee)
    bidder = PersonFactory.create(
        organisation=OrganisationFactory.create(kind=OrganisationKind.BIDDER), role=Role.BIDDER
    )
    other = PersonFactory.create(
        organisation=OrganisationFactory.create(kind=OrganisationKind.TENDEREE),
        role=Role.TENDEREE,
    )
    for outsider in (bidder, other):
        assert client_of(outsider).get(url(dkg_draft)).status_code == 404
        assert client_of(outsider).post(url(dkg_draft, "dealing"), {}).status_code == 404
    assert client_of(None).get(url(dkg_draft)).status_code in (401, 403)
    missing = client_of(tenderee).get("/api/sections/NO-SUCH-SECTION/ceremony")
    assert missing.status_code == 404
    assert client_of(tenderee).get(url(dkg_draft)).json()["you"] == 3


def test_only_the_tenderee_starts_it(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party]
) -> None:
    refused = client_of(parties[2].person).post(url(dkg_draft, "start"))
    assert refused.status_code == 403 and bilingual(refused.json()["detail"])
    start(dkg_draft, tenderee)
    again = client_of(tenderee).post(url(dkg_draft, "start"))
    assert again.status_code == 409 and "under way" in again.json()["detail"]


def test_refusals_say_why_in_both_languages(
    dkg_draft: Section, tenderee: Person, parties: dict[int, Party], holders: Holders
) -> None:
    found = start(dkg_draft, tenderee)
    assert post_dealing(dkg_draft, found, parties[1]).status_code == 200
    second = post_dealing(dkg_draft, found, parties[1])
    assert second.status_code == 409 and bilingual(second.json()["detail"])
    early = post_verification(dkg_draft, found, parties[1])
    assert early.status_code == 409 and holders.regulator.name in early.json()["detail"]
    malformed = client_of(parties[2].person).post(
        url(dkg_draft, "dealing"), {"document": {"format": "x"}, "signature": "00"}, format="json"
    )
    assert malformed.status_code == 400 and bilingual(malformed.json()["detail"])
    unsigned = client_of(parties[2].person).post(
        url(dkg_draft, "dealing"), {"document": {}, "signature": "zz"}, format="json"
    )
    assert unsigned.status_code == 400 and unsigned.json()["field"] == "signature"


def test_the_management_page_shows_the_ceremony_and_the_command(
    dkg_draft: Section, tenderee: Person, holders: Holders
) -> None:
    browser = Client()
    browser.force_login(tenderee)
    page = browser.get(reverse("trading:manage", args=[dkg_draft.pk])).content.decode()
    assert 'id="ceremony-start"' in page and 'id="choose-dealt"' in page
    browser.post(reverse("opening_key_ceremony_start", args=[dkg_draft.pk]))
    page = browser.get(reverse("trading:manage", args=[dkg_draft.pk])).content.decode()
    assert f"ggzy-bid opening-key ceremony --section {dkg_draft.code}" in page
    assert holders.regulator.name in page and 'id="ceremony-start"' not in page
