"""What the ceremony tells people and the other apps: why a section cannot be published
yet, the status line, the management page, a holder's waiting steps, and the rescue's
sub-shares and commitments (realtime/rescue.py, realtime/decryption.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from ggzy import clock
from ggzy_core.gm.curve import Point
from trading.ceremony.records import (
    closes_at,
    has_dealt,
    has_verified,
    latest,
    live,
    qualified,
    when,
)
from trading.models import (
    CeremonyHolder,
    CeremonyStatus,
    KeyCeremony,
    OpeningKeyMode,
    Section,
    SectionStatus,
)


def publication_refusal(section: Section) -> str | None:
    """Why a dkg section cannot be published yet (bilingual), or None when its key is ready."""
    ceremony = latest(section)
    if ceremony is None:
        return (
            "请先发起开标密钥生成，三个持有人完成后才能发布；也可改用平台分发的开标密钥 / Start "
            "the opening key ceremony first: the section is published once its three holders "
            "complete it (or choose the platform-dealt opening key)"
        )
    if ceremony.status == CeremonyStatus.FAILED:
        return f"开标密钥生成未成功 / The opening key ceremony failed. {ceremony.failure}"
    if ceremony.status == CeremonyStatus.COMPLETE:
        return None
    waiting = [
        holder.organisation.name
        for holder in ceremony.holders.select_related("organisation")
        if not holder.excluded and not (has_dealt(holder) and has_verified(holder))
    ]
    zh, en = when(closes_at(ceremony))
    return (
        f"开标密钥生成尚未完成，等待 {'、'.join(waiting)}（截止 {zh}） / The opening key ceremony "
        f"is not complete: waiting for {', '.join(waiting)} (deadline {en})"
    )


def qualified_commitments(section: Section) -> list[Sequence[Point]]:
    ceremony = live(section)
    if ceremony is None or ceremony.status != CeremonyStatus.COMPLETE:
        return []
    return [dealing.commitments for _holder, dealing in qualified(ceremony)]


def rescue_dealings(section: Section, index: int) -> list[dict[str, Any]]:
    """For holder ``index``'s rescue: its sealed sub-share from every qualified dealer."""
    ceremony = live(section)
    if ceremony is None or ceremony.status != CeremonyStatus.COMPLETE:
        return []
    return [
        {
            "dealer": holder.index,
            "sealed_share": dealing.sealed[index].hex(),
            "commitments": list(dealing.document()["commitments"]),
        }
        for holder, dealing in qualified(ceremony)
    ]


def status_line(section: Section, found: KeyCeremony | None) -> str:
    """Where the ceremony stands, in one bilingual line."""
    if found is None:
        return (
            "开标密钥生成尚未发起，由招标人/代理机构发起 / The opening key ceremony has not "
            "started: the tenderee or agency starts it"
        )
    if found.status == CeremonyStatus.COMPLETE:
        return (
            f"开标密钥已由持有人共同生成：{section.opening_key_fingerprint} / The holders "
            f"generated the opening key: {section.opening_key_fingerprint}"
        )
    if found.status == CeremonyStatus.FAILED:
        return found.failure
    return publication_refusal(section) or ""


COMMAND = "ggzy-bid opening-key ceremony --section {code} --key KEY.pem"


# Why a dealer's dealing does not count, as the management page says it.
EXCLUSIONS = {
    "silent": _("never dealt"),
    "fails_commitment": _("a sub-share failed its commitments"),
    "undecryptable": _("a sub-share did not decrypt"),
}


def page(section: Section) -> dict[str, Any]:
    """What the management page shows of the ceremony (templates/trading/manage.html)."""
    found = latest(section)
    holders = list(found.holders.select_related("organisation").order_by("index")) if found else []
    draft = section.status == SectionStatus.DRAFT
    live = found is not None and found.status != CeremonyStatus.FAILED
    return {
        "found": found,
        "holders": [
            {
                "index": holder.index,
                "name": holder.organisation.name,
                "dealt": has_dealt(holder),
                "verified": has_verified(holder),
                "excluded": EXCLUSIONS.get(holder.excluded, holder.excluded),
            }
            for holder in holders
        ],
        "closes_at": closes_at(found) if found else None,
        "command": COMMAND.format(code=section.code),
        "detail": status_line(section, found),
        "can_start": draft and section.opening_key_mode == OpeningKeyMode.DKG and not live,
        "can_choose_mode": draft and not live,
    }


def steps_waiting_for(organisation_id: int | None) -> list[tuple[CeremonyHolder, str]]:
    """The ceremonies in which this organisation has a step to take: ("deal" | "verify")."""
    if organisation_id is None:
        return []
    now = clock.now()
    waiting = []
    for holder in (
        CeremonyHolder.objects.filter(
            organisation_id=organisation_id, ceremony__status=CeremonyStatus.COLLECTING
        )
        .select_related("ceremony__section")
        .order_by("ceremony__deadline")
    ):
        ceremony = holder.ceremony
        if not has_dealt(holder):
            if now < ceremony.deadline:
                waiting.append((holder, "deal"))
        elif not has_verified(holder):
            waiting.append((holder, "verify"))
    return waiting
