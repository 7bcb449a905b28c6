"""Tendering a section again (重新招标) after it failed or was cancelled: fewer than three
bids [R44], every bid rejected [R51], no candidate left to sign [R55], a tender terminated
[R31]. The new section is a fresh draft in the same project — new documents, new timetable,
new opening key — linked to the one it replaces, so the public page, the open data and the
archive can tell the whole story."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Person
from ggzy.errors import DomainError
from supervision import ledger
from supervision.models import LedgerEntry
from trading import services
from trading.models import Section, SectionStatus

ENDED_WITHOUT_CONTRACT = frozenset({SectionStatus.FAILED, SectionStatus.CANCELLED})
# Carried over to the new draft's form; the timetable is always new.
CARRIED = (
    "name",
    "category",
    "estimated_price",
    "price_ceiling",
    "bid_deposit",
    "bid_validity_days",
    "decryption_window_minutes",
    "evaluation_method",
    "evaluation_criteria",
)


def ended_without_contract(section: Section) -> bool:
    """Failed or cancelled — also once archived, which the ledger remembers."""
    if section.status in ENDED_WITHOUT_CONTRACT:
        return True
    if section.status != SectionStatus.ARCHIVED:
        return False
    return LedgerEntry.objects.filter(
        target_type=Section._meta.label_lower,
        target_id=str(section.pk),
        action__in=[f"trading.section.{status}" for status in ENDED_WITHOUT_CONTRACT],
    ).exists()


def initial(section: Section) -> dict[str, Any]:
    return {name: getattr(section, name) for name in CARRIED}


@transaction.atomic
def section_retender(*, section: Section, actor: Person, **fields: Any) -> Section:
    """A new draft section replacing ``section``; ``fields`` as for ``section_create``."""
    locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
    if not ended_without_contract(locked):
        raise DomainError(
            f"标段“{locked.code}”处于“{locked.get_status_display()}”状态，只有流标或终止的标段可以"
            "重新招标；如需终止本次招标，请先取消该标段并说明原因 / Only a failed or cancelled "
            f"section can be tendered again; {locked.code} is {locked.status} (cancel it first, "
            "with the reason, to end this tender)",
            code="conflict",
        )
    if Section.objects.filter(retender_of=locked).exists():
        again = Section.objects.get(retender_of=locked)
        raise DomainError(
            f"该标段已重新招标为 {again.code}，请在该标段上继续 / This section has already been "
            f"tendered again as {again.code}: continue there",
            code="conflict",
        )
    new = services.section_create(project=locked.project, actor=actor, **fields)
    new.retender_of = locked
    new.save(update_fields=["retender_of"])
    ledger.append(
        "trading.section.retendered",
        actor=actor,
        target=locked,
        data={"from": locked.code, "to": new.code, "reason": locked.status_reason},
    )
    return new
