"""The hall follows its section: created at publication, opened at the deadline, closed if
the section fails; and its windows are time events of the one chronograph."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from realtime import closing, hall, stages
from trading import chronograph
from trading.models import Section, SectionStatus
from trading.signals import opened_bids, status_changed


@receiver(status_changed)
def follow_section(sender: Any, section: Section, source: str, target: str, **kwargs: Any) -> None:
    if target == SectionStatus.PUBLISHED:
        hall.hall_create(section)
    elif target == SectionStatus.OPENING:
        stages.open_hall(section)
    elif target in (SectionStatus.FAILED, SectionStatus.CANCELLED) and source in (
        SectionStatus.BIDDING,
        SectionStatus.OPENING,
        SectionStatus.PUBLISHED,
    ):
        stages.fail_hall(section, section.status_reason)


chronograph.register(
    chronograph.TimeEvent(
        "hall_window_closed", SectionStatus.OPENING, stages.window_due, stages.close_window
    )
)
chronograph.register(
    chronograph.TimeEvent(
        "hall_record_retried", SectionStatus.EVALUATION, closing.record_due, closing.retry_record
    )
)


@receiver(opened_bids)
def answer_opened_bids(sender: Any, section: Section, **kwargs: Any) -> list[dict[str, Any]]:
    return closing.opened_bids(section)
