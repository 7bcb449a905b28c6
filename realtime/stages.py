"""The hall's stage table and its one verb, ``enter``.

Each stage says where the host's "next" leads, how long its window lasts, and what entering
it does: entering the reading closes decryption [E31] and computes the reading [E30];
entering closed closes the hall (realtime/closing.py). Every stage change — the host's, the
deadline's, the chronograph's — goes through ``enter``, which the caller runs under the
hall's row lock inside one transaction: guard, write, numbered event, ledger entry, and the
chronograph's next bookmark. What each stage means to a person (the words of refusals and
of the snapshot) is realtime/guide.py, below the services that refuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Person
from bidding.models import Bid, BidStatus
from ggzy import clock
from ggzy.errors import DomainError
from realtime import access, closing, decryption, events, guide, reading
from realtime.hall import hall_create, locked
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus
from supervision import ledger
from trading import chronograph
from trading.models import Section

S = HallStage
Action = Callable[[Hall, Any], dict[str, Any]]


def _nothing(hall: Hall, actor: Any) -> dict[str, Any]:
    return {}


def _decryption_window(hall: Hall) -> dt.timedelta:
    return dt.timedelta(minutes=hall.section.decryption_window_minutes)  # [E30]


def _confirmation_window(hall: Hall) -> dt.timedelta:
    return dt.timedelta(minutes=settings.HALL_CONFIRMATION_MINUTES)


def _read_out(hall: Hall, actor: Any) -> dict[str, Any]:
    decryption.close_window(hall, actor=actor)  # revoked / withdrawn [E31]
    return {"reading": reading.compute(hall)}  # [E30, L36]


def _ask_for_answers(hall: Hall, actor: Any) -> dict[str, Any]:
    return {"reading_sm3": hall.reading_sm3}


def _close(hall: Hall, actor: Any) -> dict[str, Any]:
    closing.refuse_unanswered(hall)
    return {}


def _after_close(hall: Hall, actor: Any) -> dict[str, Any]:
    closing.close(hall, actor=actor)  # the section moves on; the record is asked for
    return {}


@dataclass(frozen=True)
class Stage:
    next: str | None = None  # where the host's "next" leads
    window: Callable[[Hall], dt.timedelta] | None = None  # closed by the chronograph [E30]
    on_entry: Action = _nothing  # before the stage is written: may refuse; the event's data
    entered: Action = _nothing  # after it is written, in the same transaction


TABLE: dict[str, Stage] = {
    S.WAITING: Stage(),
    S.SIGN_IN: Stage(next=S.BIDDERS),
    S.BIDDERS: Stage(next=S.DECRYPTION),
    S.DECRYPTION: Stage(next=S.READING, window=_decryption_window),
    S.READING: Stage(next=S.CONFIRMATION, on_entry=_read_out),
    S.CONFIRMATION: Stage(
        next=S.OBJECTIONS, window=_confirmation_window, on_entry=_ask_for_answers
    ),
    S.OBJECTIONS: Stage(next=S.CLOSED),
    S.CLOSED: Stage(on_entry=_close, entered=_after_close),
    S.FAILED: Stage(),
}
NEXT: dict[str, str] = {stage: row.next for stage, row in TABLE.items() if row.next}


def enter(hall: Hall, target: str, *, actor: Any, **payload: Any) -> None:
    """The one verb: the hall (locked by the caller) enters ``target``."""
    row = TABLE[target]
    payload = {**payload, **row.on_entry(hall, actor)}
    source = hall.stage
    now = clock.now()
    deadline = now + row.window(hall) if row.window else None
    hall.stage, hall.stage_started_at, hall.stage_deadline = target, now, deadline
    hall.save(update_fields=["stage", "stage_started_at", "stage_deadline"])
    events.emit(
        hall,
        "stage",
        {"stage": target, "deadline": clock.epoch_ms(deadline) if deadline else None, **payload},
    )
    ledger.append(
        f"realtime.hall.{target}",
        actor=actor,
        target=hall.section,
        data={"from": source, "to": target, "deadline": deadline, **payload},
    )
    row.entered(hall, actor)
    chronograph.reschedule(hall.section)  # a window's end is a time event of the section


@transaction.atomic
def open_hall(section: Section) -> Hall:
    """At the deadline (the section went to opening): every live bid gets its opening row and
    its number. Bids are numbered here and not at receipt, so that nothing a bidder got
    before the deadline counted the others [E21]; the order is that of the platform-signed
    receipt times (the bid's UUID breaks a tie), so anyone holding the receipts can check it."""
    hall = locked(hall_create(section))
    if hall.stage != S.WAITING:
        return hall
    bids = list(
        Bid.objects.filter(section=section, status=BidStatus.RECEIVED).order_by("received_at", "id")
    )
    # One insert for every row (a hall opens with hundreds of bids, dozens of halls in the
    # same minute); the hall's row lock and its stage make a second opening impossible, the
    # filter keeps a repeated tick harmless all the same.
    numbered = set(BidOpening.objects.filter(hall=hall).values_list("bid_id", flat=True))
    BidOpening.objects.bulk_create(
        BidOpening(hall=hall, bid=bid, number=number)
        for number, bid in enumerate(bids, start=1)
        if bid.pk not in numbered
    )
    enter(hall, S.SIGN_IN, actor=ledger.SYSTEM, bids=len(bids))
    return hall


@transaction.atomic
def fail_hall(section: Section, reason: str) -> None:
    hall = locked(hall_create(section))
    if hall.stage not in (S.CLOSED, S.FAILED):
        enter(hall, S.FAILED, actor=ledger.SYSTEM, reason=reason)


@transaction.atomic
def enter_next(*, hall: Hall, person: Person) -> Hall:
    """The host moves the hall on to its next stage, if the stage's guard allows."""
    current = locked(hall)
    if not access.is_host(person, current):
        raise DomainError(
            "只有主持人（交易中心）可以推进开标 / Only the host (the centre) moves the hall on",
            code="forbidden",
        )
    _refuse_while_suspended(current)
    target = NEXT.get(current.stage)
    if target is None:
        where = guide.where(current)
        raise DomainError(
            f"{where.zh}；没有下一阶段 / {where.en}; there is no next stage", code="conflict"
        )
    _refuse_cutting_a_window_short(current)
    enter(current, target, actor=person)
    return current


def _refuse_while_suspended(hall: Hall) -> None:
    """While the supervising department has suspended the section to handle a complaint
    [R62] the host cannot move the hall on (the section's reason names the complaint)."""
    section = Section.objects.only("suspended_at", "suspended_reason").get(pk=hall.section_id)
    if section.suspended_at is not None:
        since = guide.when(section.suspended_at)
        raise DomainError(
            f"标段已被监督部门暂停（{since.zh}起：{section.suspended_reason}），开标不能推进；"
            f"请等待监督部门作出处理决定并恢复标段 [R62] / The supervising department suspended "
            f"the section ({since.en}: {section.suspended_reason}): the hall cannot move on; "
            "wait for the department's decision and for it to resume the section [R62]",
            code="suspended",
        )


def _refuse_cutting_a_window_short(hall: Hall) -> None:
    """Bidders keep their whole window [E30]: the host moves on early only when every
    bidder has acted (decrypted, or answered the reading)."""
    if (
        hall.stage not in guide.TIMED
        or hall.stage_deadline is None
        or clock.now() >= hall.stage_deadline
    ):
        return
    if hall.stage == S.DECRYPTION:
        waiting = hall.openings.filter(status=OpeningStatus.PENDING).count()
    else:
        waiting = hall.openings.exclude(
            bid__organisation__in=hall.confirmations.values("organisation")
        ).count()
    if waiting:
        ends = guide.when(hall.stage_deadline)
        raise DomainError(
            f"时限未到（{ends.zh}），还有{waiting}家投标人未完成，不能提前进入下一阶段 / The window "
            f"is open until {ends.en} and {waiting} bidder(s) have not acted yet: the hall "
            "moves on when they have, or when the window ends",
            code="window_open",
        )


def window_due(section: Section) -> dt.datetime | None:
    """For the chronograph: when the hall's current window runs out."""
    hall = Hall.objects.filter(section=section).first()
    return hall.stage_deadline if hall and hall.stage in guide.TIMED else None


def close_window(section: Section) -> None:
    """The chronograph's event: the window ran out, the hall moves on by itself — unless the
    platform is still decrypting or a rescue the host started is under way: then what is
    pending is revoked [E31], the window is cleared and the host moves on after it."""
    hall = locked(Hall.objects.get(section=section))
    if not (
        hall.stage in guide.TIMED and hall.stage_deadline and hall.stage_deadline <= clock.now()
    ):
        return
    if hall.stage == S.DECRYPTION and decryption.waits_after_window(hall):
        decryption.revoke_pending(hall, actor=ledger.SYSTEM)
        _clear_window(hall)
        return
    enter(hall, NEXT[hall.stage], actor=ledger.SYSTEM)


def _clear_window(hall: Hall) -> None:
    ended = hall.stage_deadline
    hall.stage_deadline = None
    hall.save(update_fields=["stage_deadline"])
    events.emit(hall, "window_closed", {})
    ledger.append(
        "realtime.hall.window_closed",
        actor=ledger.SYSTEM,
        target=hall.section,
        data={"stage": hall.stage, "deadline": ended},
    )
    chronograph.reschedule(hall.section)
