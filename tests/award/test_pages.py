"""The award stage's pages and who sees what: the public result (candidates, winner and
price, the contract's key terms), objections, the tenderee's award page, the notices and
their signed downloads, and the contract file for the parties only."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Person, Role
from award.documents import DOMAINS
from award.models import Award, ResultNotice, ResultObjection
from ggzy import signing
from tests.award.world import PDF, AwardWorld, to_award, to_contract
from tests.factories import OrganisationFactory, PersonFactory
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def client(person: Person | None = None) -> Client:
    made = Client(HTTP_ACCEPT_LANGUAGE="en")
    if person is not None:
        made.force_login(person)
    return made


def stranger() -> Person:
    return PersonFactory.create(organisation=OrganisationFactory.create(), role=Role.BIDDER)


def regulator(world: AwardWorld) -> Person:
    return PersonFactory.create(organisation=world.section.project.regulator, role=Role.REGULATOR)


def test_the_public_result_page_shows_the_candidates_then_the_winner_then_the_key_terms(
    publicized: AwardWorld,
) -> None:
    code = publicized.section.code
    page = client().get(f"/award/{code}/")
    assert page.status_code == 200
    text = page.content.decode()
    for bidder in publicized.bidders:
        assert bidder.organisation.name in text
    assert "40,850,000.00" in text and "may object to the result" in text
    assert "Result announcement" not in text
    signed = client().get(f"/award/{code}/publicity/json/")
    assert signed.content == bytes(publicized.publicity.content)
    signature = json.loads(client().get(f"/award/{code}/publicity/signature/").content)
    assert signing.platform_public_key().verify(
        DOMAINS["publicity"] + signed.content, bytes.fromhex(signature["signature"])
    )
    to_award(publicized)
    text = client().get(f"/award/{code}/").content.decode()
    assert "Result announcement" in text and publicized.bidder(0).organisation.name in text
    assert "may object to the result" not in text  # publicity over
    to_contract(publicized)
    text = client().get(f"/award/{code}/").content.decode()
    assert f"HT-{code}" in text and "王工" in text
    assert "Download the signed contract" not in text  # the file is not public


def test_the_contract_file_is_for_the_parties_the_winner_and_the_overseers(
    publicized: AwardWorld,
) -> None:
    to_award(publicized)
    to_contract(publicized)
    path = f"/award/{publicized.section.code}/contract/"
    assert client().get(path).status_code == 302  # to the sign-in page
    for outsider in (stranger(), publicized.bidder(1).person, publicized.bidder(2).person):
        assert client(outsider).get(path).status_code == 404
    insiders = (
        publicized.bidder(0).person,
        publicized.tenderee,
        publicized.host,  # the centre's staff
        regulator(publicized),
    )
    for person in insiders:
        response = client(person).get(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    page = client(publicized.bidder(0).person).get(f"/award/{publicized.section.code}/")
    assert "Download the signed contract" in page.content.decode()


def test_a_bidder_objects_on_its_page_and_the_tenderee_answers_on_theirs(
    publicized: AwardWorld,
) -> None:
    path = f"/award/{publicized.section.code}/objections/"
    objector = client(publicized.bidder(1).person)
    assert client(stranger()).get(path).status_code == 403
    sent = objector.post(path, {"text": "第一名的项目经理不在职"})
    assert sent.status_code == 302
    objection = ResultObjection.objects.get()
    assert "第一名的项目经理不在职" in objector.get(path).content.decode()
    assert (
        "第一名的项目经理不在职"
        not in client(publicized.bidder(2).person).get(path).content.decode()
    )
    manager = client(publicized.tenderee)
    assert "Objections to answer" in manager.get(path).content.decode()
    answer = f"{path}{objection.pk}/answer/"
    assert client(publicized.bidder(0).person).post(answer, {}).status_code == 404
    assert client(publicized.host).post(answer, {}).status_code == 403  # sees, may not answer
    manager.post(answer, {"answer": "项目经理在职，异议不成立", "outcome": "dismissed"})
    objection.refresh_from_db()
    assert objection.outcome == "dismissed" and objection.answered_by == publicized.tenderee


def test_the_tenderee_awards_and_records_the_contract_on_the_award_page(
    publicized: AwardWorld,
) -> None:
    code = publicized.section.code
    manager = client(publicized.tenderee)
    assert manager.get(f"/award/{code}/manage/").status_code == 200
    section_page = manager.get(f"/manage/sections/{publicized.section.pk}/").content.decode()
    assert f"/award/{code}/manage/" in section_page  # linked from the section's management
    assert client(publicized.bidder(0).person).get(f"/award/{code}/manage/").status_code == 404
    assert client(publicized.host).get(f"/award/{code}/manage/").status_code == 403
    early = manager.post(f"/award/{code}/manage/issue/", follow=True)
    assert "publicized until" in early.content.decode()
    assert not Award.objects.exists()
    publicized.travel(publicized.publicity.ends_at)
    manager = client(publicized.tenderee)  # a new session: the first one expired meanwhile
    manager.post(f"/award/{code}/manage/issue/")
    award = Award.objects.get()
    assert publicized.section.status == SectionStatus.AWARDED

    def form(price: str) -> dict[str, object]:
        return {
            "number": "HT-001",
            "signed_on": award.issued_at.date().isoformat(),
            "price": price,
            "duration_days": "540",
            "quality": "合格",
            "project_manager": "王工",
            "document": SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf"),
        }

    refused = manager.post(f"/award/{code}/manage/contract/", form("40000000.00"))
    assert refused.status_code == 400
    assert "winning price 40850000.00" in refused.content.decode()
    done = manager.post(f"/award/{code}/manage/contract/", form("40850000.00"))
    assert done.status_code == 302
    assert publicized.section.status == SectionStatus.CONTRACTED
    after = manager.get(f"/award/{code}/manage/").content.decode()
    assert "Contract recorded" in after and "Record the contract" not in after


def test_each_bidder_finds_its_notice_and_downloads_it_signed(publicized: AwardWorld) -> None:
    award = to_award(publicized)
    code = publicized.section.code
    winner, loser, other = (client(b.person) for b in publicized.bidders)
    assert (
        f"/award/{code}/awards/{award.pk}/json/" in winner.get("/award/notices/").content.decode()
    )
    downloaded = winner.get(f"/award/{code}/awards/{award.pk}/json/")
    assert downloaded.content == bytes(award.content)
    assert "attachment" in downloaded["Content-Disposition"]
    notice = ResultNotice.objects.get(organisation=publicized.bidder(1).organisation)
    assert (
        f"/award/{code}/notices/{notice.pk}/json/" in loser.get("/award/notices/").content.decode()
    )
    signature = json.loads(loser.get(f"/award/{code}/notices/{notice.pk}/signature/").content)
    assert signature["content_sm3"] == notice.content_sm3
    assert signing.platform_public_key().verify(
        DOMAINS["result"] + bytes(notice.content), bytes.fromhex(signature["signature"])
    )
    assert loser.get(f"/award/{code}/awards/{award.pk}/json/").status_code == 404
    assert other.get(f"/award/{code}/notices/{notice.pk}/json/").status_code == 404
    assert (
        client(publicized.tenderee).get(f"/award/{code}/notices/{notice.pk}/json/").status_code
        == 200
    )
