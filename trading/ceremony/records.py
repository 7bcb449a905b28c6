"""What the ceremony's records say: who may see it, who dealt and verified, which dealers
qualify, and its times (read side; trading/ceremony/services.py writes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404

from ggzy import beijing_time
from ggzy_core.gm import dkg
from trading.models import (
    CeremonyHolder,
    CeremonyStatus,
    KeyCeremony,
    KeyDealing,
    KeyVerification,
    Section,
)


def _organisation_id(user: Any) -> int | None:
    return getattr(user, "organisation_id", None) if user.is_authenticated else None


def can_see(user: Any, section: Section) -> bool:
    """The three holders' organisations and the section's tenderee or agency."""
    project = section.project
    organisation_id = _organisation_id(user)
    return organisation_id is not None and organisation_id in (
        project.centre_id,
        project.regulator_id,
        project.tenderee_id,
        project.agency_id,
    )


def section_for(user: Any, code: str) -> Section:
    """The section whose ceremony ``user`` may see; 404 for everyone else (a draft's
    existence included)."""
    try:
        section = Section.objects.select_related("project").get(code=code)
    except (Section.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not can_see(user, section):
        raise Http404
    return section


def latest(section: Section) -> KeyCeremony | None:
    return section.ceremonies.order_by("-started_at").first()


def closes_at(ceremony: KeyCeremony) -> dt.datetime:
    """The next moment the ceremony acts by time: its deadline, then the grace."""
    return ceremony.verification_deadline or ceremony.deadline


def when(moment: dt.datetime) -> tuple[str, str]:
    return beijing_time.both(moment)


def live(section: Section) -> KeyCeremony | None:
    return section.ceremonies.exclude(status=CeremonyStatus.FAILED).first()


def holder_data(holder: CeremonyHolder) -> dict[str, Any]:
    return {
        "index": holder.index,
        "holder": holder.organisation.credit_code,
        "key": holder.key_fingerprint,
    }


def has_dealt(holder: CeremonyHolder) -> bool:
    return KeyDealing.objects.filter(holder=holder).exists()


def has_verified(holder: CeremonyHolder) -> bool:
    return KeyVerification.objects.filter(holder=holder).exists()


def dealing_of(ceremony: KeyCeremony, index: int) -> tuple[CeremonyHolder, dkg.Dealing] | None:
    holder = ceremony.holders.filter(index=index).select_related("organisation").first()
    if holder is None or not has_dealt(holder):
        return None
    return holder, dkg.Dealing.from_document(KeyDealing.objects.get(holder=holder).document)


def qualified(ceremony: KeyCeremony) -> list[tuple[CeremonyHolder, dkg.Dealing]]:
    """The dealers whose dealing counts: dealt, and no complaint upheld against them."""
    found = []
    for holder in ceremony.holders.select_related("organisation").order_by("index"):
        dealt = dealing_of(ceremony, holder.index)
        if dealt is not None and not holder.excluded:
            found.append(dealt)
    return found


def every_dealer_verified(ceremony: KeyCeremony) -> bool:
    return all(has_verified(holder) for holder in ceremony.holders.all() if has_dealt(holder))
