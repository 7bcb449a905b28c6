"""The rules run when a section's state changes in a way that brings new facts: it leaves
bidding (the bids are final), its hall closes (prices read out, files decrypted), its
evaluation ends (scores final). Queued after commit; the task skips a section still before
its deadline (cancelled while taking bids)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from supervision.alerts.tasks import run_section
from trading.models import Section, SectionStatus
from trading.signals import status_changed


def brings_new_facts(source: str, target: str) -> bool:
    return (
        source == SectionStatus.BIDDING
        or target == SectionStatus.EVALUATION
        or source == SectionStatus.EVALUATION
    )


@receiver(status_changed)
def run_rules_on_change(
    sender: Any, section: Section, source: str, target: str, **kwargs: Any
) -> None:
    if not brings_new_facts(source, target):
        return
    section_id = section.pk
    transaction.on_commit(lambda: run_section.delay(section_id))
