"""The chronograph: every time-driven change of a section, in one idempotent function.

Each section keeps ``next_check``, the next moment something is due. ``apply_time_events``
locks the section and applies every event whose time has passed, in order, then sets the
next bookmark. Celery calls it twice over — an ETA task at ``next_check`` and a beat sweep —
and both are harmless: a late tick applies what is due, a repeated tick finds nothing.
(ProZorro's chronograph does the same.) Bids do not wait for it: the upload service judges
the deadline by the clock itself; the chronograph moves the section's status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from celery import shared_task
from django.db import transaction

from ggzy import clock
from supervision import ledger
from trading import transitions
from trading.models import Section, SectionStatus
from trading.rules import MIN_BIDS_TO_OPEN
from trading.signals import count_live_bids

# ETA ticks are only queued this close to their time: a Redis broker redelivers unacked
# messages after its visibility timeout (1 h), so far-future ETAs would pile up. The sweep
# queues the precise tick once an event comes within reach.
ETA_HORIZON = dt.timedelta(minutes=10)
# How far ahead the sweep queues ticks: a few sweep intervals, so an event gets its precise
# tick from more than one sweep (duplicates are harmless) but not from dozens.
SWEEP_REACH = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class TimeEvent:
    name: str
    status: str  # the section status in which the event waits
    due: Callable[[Section], dt.datetime | None]  # when it falls due (None: not scheduled)
    apply: Callable[[Section], None]


def _open_bidding(section: Section) -> None:
    transitions.apply(section, SectionStatus.BIDDING, actor=ledger.SYSTEM)


def _close_submissions(section: Section) -> None:
    answers = count_live_bids.send(sender=Section, section=section)
    bids = sum(cast(int, count) for _receiver, count in answers)
    if bids < MIN_BIDS_TO_OPEN:
        transitions.apply(
            section,
            SectionStatus.FAILED,
            actor=ledger.SYSTEM,
            reason=f"投标人少于3个，不得开标，应重新招标 [R44] / Fewer than 3 bids ({bids}): "
            "no opening, the section is re-tendered [R44]",
            data={"bids": bids},
        )
    else:
        transitions.apply(section, SectionStatus.OPENING, actor=ledger.SYSTEM, data={"bids": bids})


EVENTS: list[TimeEvent] = [
    TimeEvent(
        "documents_issued", SectionStatus.PUBLISHED, lambda s: s.documents_from, _open_bidding
    ),
    TimeEvent(
        "submissions_closed", SectionStatus.BIDDING, lambda s: s.bid_deadline, _close_submissions
    ),
]


def register(event: TimeEvent) -> None:
    """Upper floors add their own time events (the opening hall's windows) here, so every
    time-driven change still goes through this one chronograph."""
    if all(existing.name != event.name for existing in EVENTS):
        EVENTS.append(event)


def _pending(section: Section) -> tuple[TimeEvent, dt.datetime] | None:
    """The earliest scheduled event waiting in the section's current status. A suspended
    section's events wait until it is resumed [R62] (resuming reschedules them; an event
    whose time passed meanwhile is applied then)."""
    if section.suspended_at is not None:
        return None
    scheduled = [
        (event, moment)
        for event in EVENTS
        if event.status == section.status and (moment := event.due(section)) is not None
    ]
    return min(scheduled, key=lambda pair: pair[1], default=None)


def next_check_of(section: Section) -> dt.datetime | None:
    pending = _pending(section)
    return pending[1] if pending else None


def apply_time_events(section_id: int) -> list[str]:
    """Apply every due event of one section; return their names (empty if none was due)."""
    applied: list[str] = []
    with transaction.atomic():
        section = Section.objects.select_for_update().get(pk=section_id)
        now = clock.now()
        while (pending := _pending(section)) is not None:
            event, moment = pending
            if moment > now:
                break
            event.apply(section)
            applied.append(event.name)
        reschedule(section)
    return applied


def reschedule(section: Section) -> None:
    """Store the next bookmark and, after commit, ask Celery for a tick at that time."""
    upcoming = next_check_of(section)
    if upcoming != section.next_check:
        section.next_check = upcoming
        section.save(update_fields=["next_check"])
    if upcoming is not None and upcoming - clock.now() <= ETA_HORIZON:
        _tick_at(section.pk, upcoming)


def _tick_at(section_id: int, moment: dt.datetime) -> None:
    if section_time_events.app.conf.task_always_eager and moment > clock.now():
        # An eager "task" (tests) ignores its ETA: it would run at once, find nothing due,
        # ask for the same tick again and recurse until the stack runs out.
        return
    transaction.on_commit(lambda: section_time_events.apply_async((section_id,), eta=moment))


def due_section_ids(now: dt.datetime | None = None) -> list[int]:
    moment = now or clock.now()
    return list(
        Section.objects.filter(next_check__lte=moment)
        .order_by("next_check")
        .values_list("pk", flat=True)
    )


def sweep() -> dict[int, list[str]]:
    """The safety net, run by beat every few seconds: apply what is due everywhere, and
    queue precise ticks for events about to fall due."""
    applied = {section_id: apply_time_events(section_id) for section_id in due_section_ids()}
    now = clock.now()
    approaching = Section.objects.filter(next_check__gt=now, next_check__lte=now + SWEEP_REACH)
    with transaction.atomic():
        for section_id, moment in approaching.values_list("pk", "next_check"):
            if moment is not None:
                _tick_at(section_id, moment)
    return applied


# The chronograph's tasks live here, under the names they always had (the beat schedule
# names the sweep): the chronograph queues its own ticks, so a separate tasks module would
# import this one and be imported by it. trading/tasks.py names them for autodiscovery.
@shared_task(name="trading.tasks.section_time_events")
def section_time_events(section_id: int) -> list[str]:
    try:
        return apply_time_events(section_id)
    except Section.DoesNotExist:
        return []  # a tick queued for a section that is gone (a reset test database)


@shared_task(name="trading.tasks.chronograph_sweep")
def chronograph_sweep() -> int:
    return len(sweep())
