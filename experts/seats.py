"""Calling the drawn experts: members are called when the draw is made; each must confirm or
decline within ``EXPERT_ANSWER_MINUTES``; a decline or silence calls the need's next backup
(in the order drawn). Every step is ledgered by seat — never by name [L37].
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from accounts.models import Person
from experts import notify
from experts.models import Draw, Seat, SeatRole, SeatStatus
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.times import beijing
from supervision import ledger

log = logging.getLogger(__name__)


def call_members(draw: Draw) -> list[Seat]:
    """Call every member seat of a fresh draw (inside the drawing transaction): one update
    and one ledger write for all of them, each seat its own entry."""
    members = list(draw.seats.filter(role=SeatRole.MEMBER, status=SeatStatus.STANDBY))
    for seat in members:
        _mark_called(seat)
    Seat.objects.bulk_update(members, ["status", "called_at", "answer_by"])
    ledger.append_many([_called_entry(seat) for seat in members])
    for seat in members:
        _send_after_commit(seat)
    return members


def seat_answer(*, seat: Seat, accept: bool, actor: Person, reason: str = "") -> Seat:
    """The expert confirms or declines their seat; a decline calls the next backup."""
    with transaction.atomic():
        locked = Seat.objects.select_for_update().select_related("expert").get(pk=seat.pk)
        if locked.expert.person_id is None or locked.expert.person_id != actor.pk:
            raise DomainError(
                "只有被抽取的专家本人可以答复 / Only the expert drawn can answer for this seat",
                code="forbidden",
            )
        if locked.status != SeatStatus.CALLED:
            raise DomainError(
                "该席位不在等待答复状态 / This seat is not waiting for an answer (answered "
                "already, or its time ran out and a backup was called)",
                code="conflict",
            )
        answer_by = locked.answer_by
        assert answer_by is not None  # nosec B101 # a called seat has its time
        if clock.now() >= answer_by:
            ended = beijing(answer_by, milliseconds=False)
            raise DomainError(
                f"答复时间已于 {ended} 截止，已通知备选专家 / The time to answer ended at {ended}; "
                "a backup is being called",
                code="too_late",
            )
        if not accept and not reason.strip():
            raise DomainError(
                "拒绝须说明理由 / Say why you decline (for example a conflict of interest)",
                code="invalid",
                field="reason",
            )
        locked.status = SeatStatus.CONFIRMED if accept else SeatStatus.DECLINED
        locked.answered_at = clock.now()
        locked.reason = reason.strip()[:200]
        locked.save(update_fields=["status", "answered_at", "reason"])
        ledger.append(
            "experts.seat.confirmed" if accept else "experts.seat.declined",
            actor=actor,
            target=locked,
            data={"draw": locked.draw_id, "order": locked.order},
        )
        if not accept:
            _call_backup(locked)
    return locked


def sweep(now: dt.datetime | None = None) -> int:
    """Seats left unanswered past their time: mark them and call the next backup. Seats
    called but whose message never went out: send it again. Safe to run twice."""
    now = now or clock.now()
    expired = 0
    for pk in Seat.objects.filter(status=SeatStatus.CALLED, answer_by__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            seat = Seat.objects.select_for_update().filter(pk=pk, status=SeatStatus.CALLED).first()
            if seat is None or seat.answer_by is None or seat.answer_by > now:
                continue
            seat.status = SeatStatus.TIMED_OUT
            seat.save(update_fields=["status"])
            ledger.append(
                "experts.seat.timed_out",
                target=seat,
                data={"draw": seat.draw_id, "order": seat.order},
            )
            _call_backup(seat)
            expired += 1
    for pk in Seat.objects.filter(status=SeatStatus.CALLED, sent_at=None).values_list(
        "pk", flat=True
    ):
        send_call(pk)
    return expired


def send_call(seat_id: int) -> bool:
    """Hand the seat's message to the gateway once; False if it was sent or cannot be now."""
    with transaction.atomic():
        seat = (
            Seat.objects.select_for_update()
            .select_related("expert", "draw__section")
            .filter(pk=seat_id, status=SeatStatus.CALLED, sent_at=None)
            .first()
        )
        if seat is None:
            return False
        try:
            notify.gateway().send(phone=seat.expert.phone, text=message(seat))
        except notify.GatewayUnavailable as exc:
            log.warning(
                "seat %s: the gateway is unavailable (%s); the sweep tries again", seat.pk, exc
            )
            return False
        seat.sent_at = clock.now()
        seat.save(update_fields=["sent_at"])
    return True


def message(seat: Seat) -> str:
    draw = seat.draw
    assert seat.answer_by is not None  # nosec B101 # a called seat has its time
    until = beijing(seat.answer_by, milliseconds=False)
    return (
        f"【ggzy】您被抽取为标段 {draw.section.code} 的评标专家，评标日期 {draw.evaluation_on}。"
        f"请于 {until} 前登录平台确认或拒绝。/ You have been drawn as an evaluation expert for "
        f"section {draw.section.code} on {draw.evaluation_on}: sign in to confirm or decline "
        f"by {until}."
    )


def _call(seat: Seat) -> None:
    _mark_called(seat)
    seat.save(update_fields=["status", "called_at", "answer_by"])
    entry = _called_entry(seat)
    ledger.append(entry.action, target=entry.target, data=entry.data)
    _send_after_commit(seat)


def _mark_called(seat: Seat) -> None:
    now = clock.now()
    seat.status = SeatStatus.CALLED
    seat.called_at = now
    seat.answer_by = now + dt.timedelta(minutes=settings.EXPERT_ANSWER_MINUTES)


def _called_entry(seat: Seat) -> ledger.Pending:
    return ledger.Pending(
        "experts.seat.called",
        target=seat,
        data={"draw": seat.draw_id, "order": seat.order, "answer_by": seat.answer_by},
    )


def _send_after_commit(seat: Seat) -> None:
    seat_id = seat.pk
    transaction.on_commit(lambda: send_call_task.delay(seat_id))


@shared_task(name="experts.tasks.send_call")
def send_call_task(seat_id: int) -> bool:
    return send_call(seat_id)


def _call_backup(seat: Seat) -> Seat | None:
    standby = list(
        Seat.objects.select_for_update()
        .filter(need=seat.need, role=SeatRole.BACKUP, status=SeatStatus.STANDBY)
        .select_related("expert")
        .order_by("order")
    )
    backup = standby[0] if standby else None
    outside = set(seat.draw.outside)
    if seat.draw.outside_min and seat.expert.number in outside:
        # A member from outside the city is replaced by the need's first backup from outside
        # when there is one, so that cross-region evaluation keeps its count.
        backup = next((item for item in standby if item.expert.number in outside), backup)
    if backup is None:
        ledger.append(
            "experts.draw.short",
            target=seat.draw,
            data={"draw": seat.draw_id, "need": seat.need_id},
        )
        log.warning("draw %s: no backup left for need %s", seat.draw_id, seat.need_id)
        return None
    _call(backup)
    return backup
