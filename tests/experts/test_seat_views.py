"""The expert's answer to a call: their own called seats only, confirm, or decline with a
reason; the service's refusals (no reason, too late) shown in Chinese and English."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person
from experts.models import Draw, Seat, SeatRole, SeatStatus
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.tools import nothing_changes

pytestmark = pytest.mark.django_db


def seat_of(draw: Draw, role: str = SeatRole.MEMBER) -> Seat:
    seat = draw.seats.filter(role=role).select_related("expert__person").first()
    assert seat is not None and seat.expert.person is not None
    return seat


def as_expert(seat: Seat) -> Client:
    assert seat.expert.person is not None
    return client_for(seat.expert.person)


def answer(client: Client, seat: Seat, **data: str) -> str:
    response = client.post(reverse("experts:seat", args=[seat.pk]), data)
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert response.status_code == 200
    return response.content.decode()


def test_an_expert_sees_their_call_and_confirms_their_own_seat(drawn: Draw) -> None:
    seat = seat_of(drawn)
    client = as_expert(seat)

    listed = client.get(reverse("experts:my_seats")).content.decode()
    body = answer(client, seat, decision="confirm")

    assert reverse("experts:seat", args=[seat.pk]) in listed
    assert listed.count('data-seat="') == 1
    seat.refresh_from_db()
    assert seat.status == SeatStatus.CONFIRMED
    assert 'data-status="confirmed"' in body and 'id="answer"' not in body
    assert LedgerEntry.objects.filter(action="experts.seat.confirmed", target_id=str(seat.pk))


def test_declining_without_a_reason_is_refused_in_chinese_and_english(drawn: Draw) -> None:
    seat = seat_of(drawn)
    client = as_expert(seat)

    with nothing_changes(Seat):
        body = answer(client, seat, decision="decline", reason="  ")

    assert "拒绝须说明理由" in body and "Say why you decline" in body
    assert 'id="reason-refusal"' in body


def test_declining_with_a_reason_calls_the_backup(drawn: Draw) -> None:
    seat = seat_of(drawn)
    backup = seat_of(drawn, SeatRole.BACKUP)

    answer(as_expert(seat), seat, decision="decline", reason="与投标人存在利害关系")

    seat.refresh_from_db()
    backup.refresh_from_db()
    assert (seat.status, seat.reason) == (SeatStatus.DECLINED, "与投标人存在利害关系")
    assert backup.status == SeatStatus.CALLED


def test_an_answer_after_the_time_ran_out_shows_the_services_reason(drawn: Draw) -> None:
    seat = seat_of(drawn)
    client = as_expert(seat)
    assert seat.answer_by is not None

    late = seat.answer_by + dt.timedelta(seconds=1)

    with time_machine.travel(late, tick=False), nothing_changes(Seat):
        body = answer(client, seat, decision="confirm")

    assert "答复时间已于" in body and "The time to answer ended" in body


def test_another_expert_cannot_open_or_answer_the_seat(drawn: Draw) -> None:
    seat, other = drawn.seats.filter(role=SeatRole.MEMBER).select_related("expert__person")[:2]
    assert other.expert.person is not None
    client = client_for(other.expert.person)
    url = reverse("experts:seat", args=[seat.pk])

    with nothing_changes(Seat):
        assert client.get(url).status_code == 404
        assert client.post(url, {"decision": "decline", "reason": "x"}).status_code == 404

    assert (
        reverse("experts:seat", args=[seat.pk])
        not in client.get(reverse("experts:my_seats")).content.decode()
    )


def test_a_backup_standing_by_learns_of_its_seat_only_when_called(drawn: Draw) -> None:
    backup = seat_of(drawn, SeatRole.BACKUP)
    url = reverse("experts:seat", args=[backup.pk])
    client = as_expert(backup)

    assert client.get(url).status_code == 404
    answer(as_expert(seat_of(drawn)), seat_of(drawn), decision="decline", reason="出差")

    assert client.get(url).status_code == 200


def test_staff_cannot_answer_for_an_expert(drawn: Draw, clerk: Person) -> None:
    seat = seat_of(drawn)
    client = client_for(clerk)

    assert client.get(reverse("experts:my_seats")).status_code == 403
    with nothing_changes(Seat):
        response = client.post(reverse("experts:seat", args=[seat.pk]), {"decision": "confirm"})
    assert response.status_code == 404


def test_the_dashboard_links_an_expert_to_their_calls_and_staff_to_the_draws(
    drawn: Draw, clerk: Person
) -> None:
    expert_sees = as_expert(seat_of(drawn)).get(reverse("accounts:dashboard")).content.decode()
    staff_sees = client_for(clerk).get(reverse("accounts:dashboard")).content.decode()

    assert reverse("experts:my_seats") in expert_sees
    assert reverse("experts:draws") not in expert_sees
    assert reverse("experts:draws") in staff_sees
