"""Calling the drawn experts: members called at the draw, answers by the expert alone, a
decline or silence calls the need's next backup, messages through the gateway."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
import time_machine
from django.test import override_settings

from accounts.models import Person, Role
from experts import draw as draws
from experts import notify, seats
from experts.models import Draw, Seat, SeatRole, SeatStatus, Specialty
from ggzy import clock
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.experts.conftest import expert
from tests.factories import PersonFactory
from trading.models import Section

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox() -> Iterator[list[notify.Message]]:
    notify.MemoryGateway.outbox.clear()
    with override_settings(EXPERT_GATEWAY="experts.notify.MemoryGateway"):
        yield notify.MemoryGateway.outbox


def by_role(draw: Draw) -> tuple[list[Seat], list[Seat]]:
    rows = list(draw.seats.select_related("expert__person"))
    return [s for s in rows if s.role == SeatRole.MEMBER], [s for s in rows if s.role == "backup"]


def test_members_are_called_at_the_draw_and_the_sweep_sends_each_one_message(
    drawn: Draw, outbox: list[notify.Message]
) -> None:
    members, backups = by_role(drawn)

    seats.sweep()
    seats.sweep()

    assert [s.status for s in members] == [SeatStatus.CALLED] * 4
    assert [s.status for s in backups] == [SeatStatus.STANDBY]
    assert sorted(m.phone for m in outbox) == sorted(s.expert.phone for s in members)
    assert drawn.section.code in outbox[0].text and "confirm or decline" in outbox[0].text
    called = LedgerEntry.objects.filter(action="experts.seat.called")
    assert called.count() == 4
    assert not any(s.expert.number in str(e.data) for e in called for s in members)


def test_a_decline_with_its_reason_calls_the_next_backup_of_that_need(drawn: Draw) -> None:
    members, [backup] = by_role(drawn)
    person = members[0].expert.person
    assert person is not None

    seats.seat_answer(seat=members[0], accept=False, actor=person, reason="与投标人存在利害关系")

    backup.refresh_from_db()
    members[0].refresh_from_db()
    assert members[0].status == SeatStatus.DECLINED
    assert backup.status == SeatStatus.CALLED and backup.answer_by is not None


def test_a_decline_without_a_reason_is_refused(drawn: Draw) -> None:
    members, _backups = by_role(drawn)
    person = members[0].expert.person
    assert person is not None

    with pytest.raises(DomainError, match="Say why"):
        seats.seat_answer(seat=members[0], accept=False, actor=person)


def test_only_the_expert_drawn_can_answer_for_a_seat(drawn: Draw) -> None:
    members, _backups = by_role(drawn)
    someone_else = members[1].expert.person
    assert someone_else is not None

    with pytest.raises(DomainError, match="Only the expert drawn"):
        seats.seat_answer(seat=members[0], accept=True, actor=someone_else)

    members[0].refresh_from_db()
    assert members[0].status == SeatStatus.CALLED


def test_silence_past_the_time_calls_the_backup_and_a_late_answer_is_refused(
    drawn: Draw,
) -> None:
    members, [backup] = by_role(drawn)
    person = members[0].expert.person
    assert person is not None
    for other in members[1:]:
        assert other.expert.person is not None
        seats.seat_answer(seat=other, accept=True, actor=other.expert.person)

    with time_machine.travel(clock.now() + dt.timedelta(minutes=31), tick=False):
        with pytest.raises(DomainError, match="time to answer ended"):
            seats.seat_answer(seat=members[0], accept=True, actor=person)
        expired = seats.sweep()
        with pytest.raises(DomainError, match="its time ran out"):
            seats.seat_answer(seat=members[0], accept=True, actor=person)

    backup.refresh_from_db()
    members[0].refresh_from_db()
    assert expired == 1 and members[0].status == SeatStatus.TIMED_OUT
    assert backup.status == SeatStatus.CALLED


def test_with_no_backup_left_the_draw_is_ledgered_short(drawn: Draw) -> None:
    members, [backup] = by_role(drawn)
    first, second = members[0].expert.person, backup.expert.person
    assert first is not None and second is not None

    seats.seat_answer(seat=members[0], accept=False, actor=first, reason="出差")
    seats.seat_answer(seat=backup, accept=False, actor=second, reason="回避")

    short = LedgerEntry.objects.get(action="experts.draw.short")
    assert short.data["need"] == backup.need_id


def test_the_console_gateway_logs_a_masked_number(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="experts.notify"):
        notify.ConsoleGateway().send(phone="13812345678", text="hello")

    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


def test_a_member_from_outside_the_city_is_replaced_by_a_backup_from_outside(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    for _ in range(8):
        made = expert(codes["A0801"])
        made.person = PersonFactory.create(organisation=None, role=Role.EXPERT)
        made.save(update_fields=["person"])
    drawn = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 5, backups=3)],
        representatives=0,
        evaluation_on=dt.date(2026, 6, 1),
        actor=clerk,
    )
    draws.draw_run(draw=drawn, actor=clerk)
    members, backups = by_role(drawn)
    assert len(backups) == 3
    away = members[0]
    # The draw's record says who is from outside the city: the member and the last backup
    # only, so the first backup (of the city) is passed over.
    Draw.objects.filter(pk=drawn.pk).update(
        outside_city="3201", outside_min=1, outside=[away.expert.number, backups[-1].expert.number]
    )
    assert away.expert.person is not None
    seats.seat_answer(seat=away, accept=False, actor=away.expert.person, reason="回避")
    called = drawn.seats.filter(role=SeatRole.BACKUP, status=SeatStatus.CALLED)
    assert [seat.pk for seat in called] == [backups[-1].pk]
