"""The hall's life: created with the section, opened at the deadline, driven by the host.

Every change locks the hall row, checks the stage table, writes, emits a numbered event and
a ledger entry — all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Person, Role
from bidding.models import Bid, BidStatus
from ggzy import clock
from ggzy.errors import DomainError
from realtime import events, stages
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus, SignIn
from supervision import ledger
from trading import chronograph
from trading.models import Section

S = HallStage


def locked(hall: Hall | int) -> Hall:
    pk = hall if isinstance(hall, int) else hall.pk
    return Hall.objects.select_for_update().select_related("section", "section__project").get(pk=pk)


def hall_create(section: Section) -> Hall:
    hall, _ = Hall.objects.get_or_create(
        section=section, defaults={"stage_started_at": clock.now()}
    )
    return hall


def move(
    hall: Hall, stage: str, *, actor: Any, deadline: dt.datetime | None = None, **payload: Any
) -> None:
    """Set the stage (the caller holds the lock), emit it, ledger it."""
    source = hall.stage
    hall.stage = stage
    hall.stage_started_at = clock.now()
    hall.stage_deadline = deadline
    hall.save(update_fields=["stage", "stage_started_at", "stage_deadline"])
    events.emit(
        hall,
        "stage",
        {"stage": stage, "deadline": clock.epoch_ms(deadline) if deadline else None, **payload},
    )
    ledger.append(
        f"realtime.hall.{stage}",
        actor=actor,
        target=hall.section,
        data={"from": source, "to": stage, "deadline": deadline, **payload},
    )
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
    for number, bid in enumerate(bids, start=1):
        BidOpening.objects.get_or_create(hall=hall, bid=bid, defaults={"number": number})
    move(hall, S.SIGN_IN, actor=ledger.SYSTEM, bids=len(bids))
    return hall


@transaction.atomic
def fail_hall(section: Section, reason: str) -> None:
    hall = locked(hall_create(section))
    if hall.stage not in (S.CLOSED, S.FAILED):
        move(hall, S.FAILED, actor=ledger.SYSTEM, reason=reason)


def is_host(person: Any, hall: Hall) -> bool:
    project = hall.section.project
    return bool(
        getattr(person, "is_authenticated", False)
        and (
            person.is_superuser
            or (person.role == Role.STAFF and person.organisation_id == project.centre_id)
        )
    )


def _require_host(person: Person, hall: Hall) -> None:
    if not is_host(person, hall):
        raise DomainError(
            "只有主持人（交易中心）可以操作 / Only the host (the centre) may do this",
            code="forbidden",
        )


@transaction.atomic
def sign_in(*, hall: Hall, person: Person) -> SignIn:
    current = locked(hall)
    if current.stage in (S.WAITING, S.CLOSED, S.FAILED):
        raise DomainError("大厅当前不能签到 / Sign-in is not open", code="conflict")
    if (
        person.organisation is None
        or not current.openings.filter(bid__organisation=person.organisation).exists()
    ):
        raise DomainError(
            "只有本标段的投标人可以签到 / Only this section's bidders sign in", code="forbidden"
        )
    record, created = SignIn.objects.get_or_create(
        hall=current,
        organisation=person.organisation,
        defaults={"person": person, "signed_in_at": clock.now()},
    )
    if created:
        events.emit(current, "signed_in", {"bidder": person.organisation.name})
        ledger.append("realtime.hall.signed_in", actor=person, target=current.section)
    return record


@transaction.atomic
def advance(*, hall: Hall, person: Person) -> Hall:
    """The host moves the hall to its next stage, if the stage's guard allows."""
    current = locked(hall)
    _require_host(person, current)
    target = stages.NEXT.get(current.stage)
    if target is None:
        raise DomainError("大厅已结束或尚未开启 / The hall is not running", code="conflict")
    _refuse_cutting_a_window_short(current)
    enter(current, target, actor=person)
    return current


def _refuse_cutting_a_window_short(hall: Hall) -> None:
    """Bidders keep their whole window [E30]: the host moves on early only when every
    bidder has acted (decrypted, or answered the reading)."""
    if (
        hall.stage not in stages.TIMED
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
        raise DomainError(
            f"时限未到，还有{waiting}家投标人未完成，不能提前进入下一阶段 / The window is still open and "
            f"{waiting} bidder(s) have not acted yet: the hall cannot move on early",
            code="window_open",
        )


def enter(hall: Hall, target: str, *, actor: Any) -> None:
    """Leave the current stage for ``target``, doing what each step requires."""
    from realtime import closing, decryption, reading

    now = clock.now()
    if target == S.DECRYPTION:
        window = dt.timedelta(minutes=hall.section.decryption_window_minutes)
        move(hall, S.DECRYPTION, actor=actor, deadline=now + window)  # [E30]
    elif target == S.READING:
        decryption.close_window(hall, actor=actor)
        move(hall, S.READING, actor=actor, reading=reading.compute(hall))
    elif target == S.CONFIRMATION:
        window = dt.timedelta(minutes=settings.HALL_CONFIRMATION_MINUTES)
        move(hall, S.CONFIRMATION, actor=actor, deadline=now + window, reading_sm3=hall.reading_sm3)
    elif target == S.CLOSED:
        closing.close(hall, actor=actor)
    else:
        move(hall, target, actor=actor)


def window_due(section: Section) -> dt.datetime | None:
    """For the chronograph: when the hall's current window runs out."""
    hall = Hall.objects.filter(section=section).first()
    return hall.stage_deadline if hall and hall.stage in stages.TIMED else None


def close_window(section: Section) -> None:
    """The chronograph's event: the window ran out, the hall moves on by itself."""
    from realtime import decryption

    hall = locked(Hall.objects.get(section=section))
    if not (
        hall.stage in stages.TIMED and hall.stage_deadline and hall.stage_deadline <= clock.now()
    ):
        return
    if hall.stage == S.DECRYPTION:
        decryption.expire_window(hall)
    else:
        enter(hall, stages.NEXT[hall.stage], actor=ledger.SYSTEM)


def statuses(hall: Hall) -> list[dict[str, Any]]:
    """The public bidder table: who bid, signed in, and where their decryption stands."""
    signed = set(hall.sign_ins.values_list("organisation_id", flat=True))
    queue = list(
        hall.openings.filter(status=OpeningStatus.DECRYPTING)
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )
    return [
        {
            "bid": str(opening.bid_id),
            "sequence": opening.number,  # the opening number (docs/hall-protocol.md)
            "bidder": opening.bid.organisation.name,
            "signed_in": opening.bid.organisation_id in signed,
            "status": opening.status,
            "queue": queue.index(opening.pk) + 1 if opening.pk in queue else None,
        }
        for opening in hall.openings.select_related("bid", "bid__organisation")
    ]
