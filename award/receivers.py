"""Award follows the trading floor's sections (trading sends; it never imports award): the
candidates are publicized in the very transaction that sets the result [R54]. Its time
events (overdue objection answers, overdue contracts) go through the one chronograph."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from award import reminders
from award.publicity import publicity_start
from supervision import ledger
from trading import chronograph
from trading.models import Section, SectionStatus
from trading.signals import status_changed


@receiver(status_changed)
def publicize_the_candidates(
    sender: Any, section: Section, source: str, target: str, **kwargs: Any
) -> None:
    if target == SectionStatus.PUBLICITY:
        publicity_start(section=section, actor=ledger.SYSTEM)


chronograph.register(
    chronograph.TimeEvent(
        "award_objection_overdue",
        SectionStatus.PUBLICITY,
        reminders.objection_overdue_due,
        reminders.objection_overdue,
    )
)
chronograph.register(
    chronograph.TimeEvent(
        "award_contract_overdue",
        SectionStatus.AWARDED,
        reminders.contract_overdue_due,
        reminders.contract_overdue,
    )
)
