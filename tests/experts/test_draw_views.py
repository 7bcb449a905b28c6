"""The draw's pages: the centre's staff request and run a draw, the regulator reads it, every
view of the sealed names is ledgered without a name, and nobody else finds a draw at all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Person, Role
from experts.models import Draw, DrawStatus, Expert, Seat, Specialty
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.experts.conftest import expert
from tests.factories import OrganisationFactory, PersonFactory
from tests.tools import nothing_changes
from tests.trading.conftest import Holders
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"]


@pytest.fixture
def library(codes: dict[str, Specialty]) -> list[Expert]:
    made = [expert(codes["A0801"]) for _ in NAMES]
    for person, name in zip(made, NAMES, strict=True):
        person.name = name
        person.save(update_fields=["name"])
    return made


@pytest.fixture
def regulator(holders: Holders) -> Person:
    return PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)


def ask(client: Client, section: Section, **fields: str) -> object:
    data = {
        "evaluation_on": "2026-06-01",
        "representatives": "1",
        "needs-TOTAL_FORMS": "6",
        "needs-INITIAL_FORMS": "0",
        "needs-0-specialty": "A08",
        "needs-0-count": "4",
        "needs-0-backups": "1",
        **fields,
    }
    return client.post(
        reverse("experts:draw_request", args=[section.code]),
        data,
        headers={"accept-language": "en"},
    )


@pytest.fixture
def requested(closed: Section, clerk: Person, library: list[Expert]) -> Draw:
    response = ask(client_for(clerk), closed)
    assert response.status_code == 302  # type: ignore[attr-defined]
    return Draw.objects.get(section=closed)


@pytest.fixture
def drawn(requested: Draw, clerk: Person) -> Draw:
    client_for(clerk).post(reverse("experts:draw_run", args=[requested.pk]))
    requested.refresh_from_db()
    return requested


def page(client: Client, draw: Draw, name: str = "experts:draw") -> str:
    response = client.get(reverse(name, args=[draw.pk]), headers={"accept-language": "en"})
    assert response.status_code == 200
    return response.content.decode()


def test_staff_request_a_draw_and_draw_the_committee_through_the_pages(
    closed: Section, clerk: Person, library: list[Expert]
) -> None:
    client = client_for(clerk)

    response = ask(client, closed)
    draw = Draw.objects.get(section=closed)
    assert response["Location"] == reverse("experts:draw", args=[draw.pk])  # type: ignore[index]
    assert [(n.specialty.code, n.count, n.backups) for n in draw.needs.all()] == [("A08", 4, 1)]
    assert 'id="draw-now"' in page(client, draw)

    client.post(reverse("experts:draw_run", args=[draw.pk]))

    draw.refresh_from_db()
    assert draw.status == DrawStatus.DRAWN
    body = page(client, draw)
    assert 'id="draw-now"' not in body
    assert draw.commitment in body and draw.anchor in body
    assert body.count('data-seat="') == 5
    seated = {seat.expert.name for seat in draw.seats.select_related("expert")}
    assert all(name in body for name in seated)


def test_the_service_refusal_of_a_request_is_shown_in_chinese_and_english(
    closed: Section, clerk: Person, library: list[Expert]
) -> None:
    client = client_for(clerk)

    with nothing_changes(Draw):
        response = ask(client, closed, representatives="0")

    body = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "评标委员会须为 5 人以上单数" in body and "an odd number" in body


def test_before_the_deadline_the_request_is_refused_with_the_services_reason(
    published: Section, clerk: Person, library: list[Expert]
) -> None:
    client = client_for(clerk)

    with nothing_changes(Draw):
        response = ask(client, published)

    body = response.content.decode()  # type: ignore[attr-defined]
    assert "投标截止前不能抽取专家" in body and "after the bid deadline" in body


def test_a_bidder_an_outsider_and_another_centres_staff_find_no_draw(
    drawn: Draw, owner: Person, outsider: Person, staff: Person
) -> None:
    tenderee = Person.objects.get(username="tenderee")
    for person in (owner, outsider, staff, tenderee):
        client = client_for(person)
        for name in ("experts:draw", "experts:draw_replay"):
            assert client.get(reverse(name, args=[drawn.pk])).status_code == 404
        assert client.post(reverse("experts:draw_run", args=[drawn.pk])).status_code == 404
        url = reverse("experts:draw_request", args=[drawn.section.code])
        assert client.get(url).status_code == 404
    assert not LedgerEntry.objects.filter(action="experts.draw.names_viewed").exists()


def test_a_superuser_is_not_told_who_sits_on_the_committee(drawn: Draw) -> None:
    root = PersonFactory.create(organisation=None, role="", is_staff=True, is_superuser=True)

    response = client_for(root).get(reverse("experts:draw", args=[drawn.pk]))

    assert response.status_code == 404


def test_the_regulator_sees_the_names_and_each_view_is_ledgered_without_a_name(
    drawn: Draw, regulator: Person
) -> None:
    client = client_for(regulator)

    first = page(client, drawn)
    page(client, drawn)

    seats = list(drawn.seats.select_related("expert"))
    assert all(seat.expert.name in first for seat in seats)
    assert 'id="read-only"' in first and 'id="draw-now"' not in first
    views = LedgerEntry.objects.filter(action="experts.draw.names_viewed", target_id=str(drawn.pk))
    assert [entry.data for entry in views] == [{"seats": 5}, {"seats": 5}]
    assert {entry.actor_person_id for entry in views} == {regulator.pk}
    ledgered = str([entry.data for entry in views])
    assert not any(s.expert.name in ledgered or s.expert.number in ledgered for s in seats)


def test_the_regulator_may_not_draw_nor_reveal(requested: Draw, regulator: Person) -> None:
    client = client_for(regulator)

    with nothing_changes(Draw, Seat):
        assert client.post(reverse("experts:draw_run", args=[requested.pk])).status_code == 403
        assert client.post(reverse("experts:draw_reveal", args=[requested.pk])).status_code == 403
        url = reverse("experts:draw_request", args=[requested.section.code])
        assert client.get(url).status_code == 403


def test_the_replay_says_the_stored_seats_match_and_notices_a_tampered_one(
    drawn: Draw, clerk: Person, codes: dict[str, Specialty]
) -> None:
    client = client_for(clerk)

    assert 'data-matches="true"' in page(client, drawn, "experts:draw_replay")
    seat = drawn.seats.first()
    assert seat is not None
    Seat.objects.filter(pk=seat.pk).update(expert=expert(codes["A0801"]))

    assert 'data-matches="false"' in page(client, drawn, "experts:draw_replay")


def test_a_request_not_yet_drawn_has_nothing_to_replay(requested: Draw, clerk: Person) -> None:
    body = page(client_for(clerk), requested, "experts:draw_replay")

    assert 'data-matches="false"' in body and "Nothing to replay" in body


def test_the_avoided_experts_are_listed_with_their_reason_and_detail(
    closed: Section, clerk: Person, library: list[Expert], codes: dict[str, Specialty]
) -> None:
    tenderee = closed.project.tenderee.credit_code
    avoided = expert(codes["A0801"], employer=tenderee)
    ask(client_for(clerk), closed)
    draw = Draw.objects.get(section=closed)
    client_for(clerk).post(reverse("experts:draw_run", args=[draw.pk]))

    body = page(client_for(clerk), draw)

    assert 'data-reason="employer_tenderee"' in body
    assert avoided.number in body and tenderee in body


def test_the_secret_is_revealed_only_once_the_result_is_set_and_only_once(
    drawn: Draw, clerk: Person
) -> None:
    client = client_for(clerk)
    url = reverse("experts:draw_reveal", args=[drawn.pk])

    assert 'id="reveal"' not in page(client, drawn)
    client.post(url)
    assert not LedgerEntry.objects.filter(action="experts.draw.revealed").exists()

    Section.objects.filter(pk=drawn.section_id).update(status=SectionStatus.PUBLICITY)
    assert 'id="reveal"' in page(client, drawn)
    client.post(url)
    client.post(url)

    [revealed] = LedgerEntry.objects.filter(action="experts.draw.revealed")
    assert revealed.data["anchor"] == drawn.anchor
    assert 'id="revealed"' in page(client, drawn)


def test_the_draws_page_lists_the_centres_sections_after_the_deadline_and_its_draws(
    requested: Draw, clerk: Person, regulator: Person
) -> None:
    Section.objects.filter(pk=requested.section_id).update(status=SectionStatus.EVALUATION)
    other_centre = PersonFactory.create(
        organisation=OrganisationFactory.create(kind="centre"), role=Role.STAFF
    )
    request_url = reverse("experts:draw_request", args=[requested.section.code])
    draw_url = reverse("experts:draw", args=[requested.pk])

    mine = client_for(clerk).get(reverse("experts:draws")).content.decode()
    theirs = client_for(other_centre).get(reverse("experts:draws")).content.decode()
    read = client_for(regulator).get(reverse("experts:draws")).content.decode()

    assert request_url in mine and draw_url in mine
    assert request_url not in theirs and draw_url not in theirs
    assert draw_url in read and request_url not in read


def test_the_draws_page_is_refused_to_bidders_and_experts(owner: Person, outsider: Person) -> None:
    for person in (owner, outsider):
        assert client_for(person).get(reverse("experts:draws")).status_code == 403


def test_a_failed_section_is_not_offered_for_a_draw(closed: Section, clerk: Person) -> None:
    url = reverse("experts:draw_request", args=[closed.code])
    Section.objects.filter(pk=closed.pk).update(status=SectionStatus.EVALUATION)
    offered = client_for(clerk).get(reverse("experts:draws")).content.decode()

    Section.objects.filter(pk=closed.pk).update(status=SectionStatus.FAILED)
    failed = client_for(clerk).get(reverse("experts:draws")).content.decode()

    assert url in offered and url not in failed
