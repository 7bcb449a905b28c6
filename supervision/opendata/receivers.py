"""Releases follow public changes, inside the sender's transaction (services.release_publish).

Which change makes which release (docs/opendata.md, "What is published when"):

| change | tags |
|---|---|
| section published | tender |
| clarification issued (may move the deadline) [R21, L23] | tenderAmendment |
| deadline passed: section opening [E29] | tenderUpdate (tenderers, numberOfTenderers) |
| hall closed, reading on the record [E30, E32] | tenderUpdate (bids read out) |
| section failed [R44, R55] | tenderUpdate (status unsuccessful) |
| section cancelled | tenderCancellation |
| award issued [L45] / declined [R55] | award / awardUpdate |
| contract recorded [L46] | contract |

Nothing here listens to a bid, an upload, a withdrawal, a download or a deposit: before the
deadline no bid event can make, date or reorder a release [E21, E27].
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from award.models import Award, AwardStatus, Contract
from award.signals import award_changed, contract_recorded
from supervision.opendata.services import release_publish
from trading.models import Clarification, Section, SectionStatus
from trading.signals import status_changed

S = SectionStatus
STATUS_TAGS: dict[str, list[str]] = {
    S.PUBLISHED: ["tender"],
    S.OPENING: ["tenderUpdate"],
    S.EVALUATION: ["tenderUpdate"],
    S.FAILED: ["tenderUpdate"],
    S.CANCELLED: ["tenderCancellation"],
}


@receiver(status_changed, dispatch_uid="opendata.status_changed")
def section_moved(sender: Any, section: Section, source: str, target: str, **kwargs: Any) -> None:
    # AWARDED and CONTRACTED are published by the award's and the contract's own signals
    # (sent in the same transaction, with the rows written); BIDDING, PUBLICITY and ARCHIVED
    # change nothing the release shows.
    tags = STATUS_TAGS.get(target)
    if tags is not None:
        release_publish(section=section, tags=tags)


@receiver(post_save, sender=Clarification, dispatch_uid="opendata.clarification")
def clarified(sender: Any, instance: Clarification, created: bool, **kwargs: Any) -> None:
    # trading sends no signal of its own for a clarification; the row is written inside
    # documents.clarification_issue's transaction, with the section locked [R21, L23].
    if created and not kwargs.get("raw"):
        release_publish(section=instance.section, tags=["tenderAmendment"])


@receiver(award_changed, dispatch_uid="opendata.award_changed")
def award_moved(sender: Any, award: Award, **kwargs: Any) -> None:
    tags = ["awardUpdate"] if award.status == AwardStatus.DECLINED else ["award"]
    release_publish(section=award.section, tags=tags)


@receiver(contract_recorded, dispatch_uid="opendata.contract_recorded")
def contract_signed(sender: Any, contract: Contract, **kwargs: Any) -> None:
    release_publish(section=contract.award.section, tags=["contract"])
