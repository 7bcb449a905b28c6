"""The rescue step of an opening [E31] and the gate in front of the opening key's shares.

When the platform fails to decrypt a bid, the host starts a rescue; the key holders (centre,
regulator, tenderee) then fetch their sealed share, open it with their own key and give it
back (realtime/decryption.py `submit_share`). A sealed share is released only here, and only
after the deadline (server clock) [E27], in the decryption stage, while a bid the platform
failed on waits, once the host has started the rescue — and, for the centre and the
tenderee, once the regulator has given its own share, so that those two never hold their
shares together through the platform (trading/rules.py). Non-holders learn nothing (404).
Every release, every use and every refusal to a holder is ledgered, without the share.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from realtime import events, guide
from realtime.access import is_host
from realtime.hall import locked
from realtime.models import Hall, HallStage, OpeningStatus, ShareSubmission
from supervision import ledger
from trading import ceremony
from trading.models import OpeningKeyMode, OpeningKeyShare
from trading.opening_key import required_holder_id

NOT_A_HOLDER = (
    "本单位不保管该标段的开标密钥分片 / Your organisation holds no share of this section's "
    "opening key"
)
ONLY_IN_A_RESCUE = (
    "开标密钥分片只在开标后、主持人发起补救时提供 / Shares are released only after the "
    "deadline, when the host starts a rescue of a bid the platform failed to decrypt"
)


class ShareRefused(DomainError):
    """A holder was refused (outside the rescue: 409; a share that is not its own or does not
    fit: 400); the caller ledgers the refusal outside the rolled-back transaction."""

    def __init__(
        self, message: str, *, reason: str, held: OpeningKeyShare, code: str = "conflict"
    ) -> None:
        super().__init__(message, code=code)
        self.reason = reason
        self.held = held


def _why_not(hall: Hall) -> str | None:
    """Why the hall is not in a rescue's window (a stable reason), or None when it is,
    apart from the rescue having been started."""
    if clock.now() < hall.section.bid_deadline:  # [E27]: nobody opens anything before
        return "before_deadline"
    if hall.stage != HallStage.DECRYPTION:
        return "not_decrypting"
    if not hall.openings.filter(status=OpeningStatus.FAILED).exists():
        return "nothing_to_rescue"
    return None


def _share_message(reason: str, hall: Hall) -> str:
    deadline = guide.when(hall.section.bid_deadline)  # Beijing time, the zone named
    return {
        "before_deadline": (
            f"开标密钥分片只在开标（{deadline.zh}）后、主持人发起补救时提供 / Shares are released "
            f"only after the deadline ({deadline.en}), when the host starts a rescue of a bid the "
            "platform failed to decrypt"
        ),
        "not_decrypting": (
            f"开标密钥分片只在解密阶段的补救中提供；{guide.where(hall).zh} / Shares are "
            f"released only during a rescue in the decryption stage; {guide.where(hall).en}"
        ),
        "nothing_to_rescue": (
            "没有平台解密失败的投标，不提供开标密钥分片 / No bid failed to decrypt on the "
            "platform: there is nothing to rescue, so no share is released"
        ),
        "rescue_not_started": (
            "主持人尚未发起补救，发起后才提供开标密钥分片 / The host has not started a rescue "
            "yet: shares are released once the host starts one"
        ),
        "regulator_first": (
            "行政监督部门须先提交其分片，之后才提供本单位的分片 / The regulator gives its share "
            "first: yours is released after that"
        ),
    }[reason]


def holder_share(hall: Hall, person: Any) -> OpeningKeyShare:
    """The person's organisation's share of the section's key; 404 for anyone else."""
    organisation_id = getattr(person, "organisation_id", None)
    held = (
        OpeningKeyShare.objects.select_related("holder")
        .filter(section=hall.section, holder_id=organisation_id)
        .first()
        if organisation_id
        else None
    )
    if held is None:
        raise DomainError(NOT_A_HOLDER, code="not_found")
    return held


def refuse_outside_rescue(hall: Hall, held: OpeningKeyShare) -> None:
    """The caller holds the hall's lock. Raise unless a rescue is under way."""
    reason = _why_not(hall) or (None if hall.rescue_started_at else "rescue_not_started")
    if reason:
        raise ShareRefused(_share_message(reason, hall), reason=reason, held=held)


def regulator_given(hall: Hall) -> bool:
    """Whether the regulator's share waits in this rescue (given, not yet used)."""
    return (
        ShareSubmission.objects.filter(
            hall=hall, holder_id=required_holder_id(hall.section), used_at__isnull=True
        )
        .exclude(share=None)
        .exists()
    )


def holder_data(held: OpeningKeyShare) -> dict[str, Any]:
    """What the ledger says of a share: whose and which — never its value."""
    return {"holder": held.holder.credit_code, "index": held.index}


def ledger_refusal(
    refused: ShareRefused, *, person: Person, hall: Hall, request: str, address: str | None
) -> None:
    """Outside the refused transaction, so the attempt stays on record."""
    ledger.append(
        "realtime.opening_key.share_refused",
        actor=person,
        target=hall.section,
        address=address,
        data={**holder_data(refused.held), "request": request, "reason": refused.reason},
    )


def release_answer(held: OpeningKeyShare) -> dict[str, Any]:
    """What a released share is to its holder: the sealed share of a dealt key, or — for a
    key the holders generated (trading/ceremony.py) — the sub-shares the qualified dealers
    sealed to it, with their commitments, which the holder opens, checks and adds up."""
    if held.section.opening_key_mode == OpeningKeyMode.DKG:
        return {
            "index": held.index,
            "mode": OpeningKeyMode.DKG,
            "sealed_share": "",
            "dealings": ceremony.rescue_dealings(held.section, held.index),
        }
    return {
        "index": held.index,
        "mode": OpeningKeyMode.DEALT,
        "sealed_share": bytes(held.sealed_share).hex(),
    }


def release_share(*, hall: Hall, person: Person, address: str | None = None) -> OpeningKeyShare:
    """Give a holder its sealed share, inside a started rescue only [E27, E31]."""
    try:
        with transaction.atomic():
            current = locked(hall)
            held = holder_share(current, person)
            refuse_outside_rescue(current, held)
            if held.holder_id != required_holder_id(current.section) and not regulator_given(
                current
            ):
                raise ShareRefused(
                    _share_message("regulator_first", current), reason="regulator_first", held=held
                )
            ledger.append(
                "realtime.opening_key.share_released",
                actor=person,
                target=current.section,
                address=address,
                data=holder_data(held),
            )
            return held
    except ShareRefused as refused:
        ledger_refusal(refused, person=person, hall=hall, request="release", address=address)
        raise


@transaction.atomic
def start_rescue(*, hall: Hall, person: Person, address: str | None = None) -> Hall:
    """The host starts the rescue of the bids the platform failed to decrypt [E31]: from now
    until the key is rebuilt (or the hall leaves decryption) the holders may fetch shares."""
    current = locked(hall)
    if not is_host(person, current):
        raise DomainError(
            "只有主持人（交易中心）可以发起补救 / Only the host (the centre) starts a rescue",
            code="forbidden",
        )
    reason = _why_not(current)
    if reason == "before_deadline":
        raise DomainError(
            f"补救只能在开标（{guide.when(current.section.bid_deadline).zh}）后的解密阶段发起 / "
            f"A rescue can be started only in the decryption stage, after the deadline "
            f"({guide.when(current.section.bid_deadline).en})",
            code="conflict",
        )
    if reason == "not_decrypting":
        raise DomainError(
            f"补救只能在解密阶段发起；{guide.where(current).zh} / A rescue can be started "
            f"only in the decryption stage; {guide.where(current).en}",
            code="conflict",
        )
    if reason == "nothing_to_rescue":
        raise DomainError(
            "没有平台解密失败的投标，无需补救 / No bid failed to decrypt on the platform: "
            "there is nothing to rescue",
            code="conflict",
        )
    if current.rescue_started_at is not None:
        raise DomainError(
            f"补救已于 {guide.when(current.rescue_started_at).zh} 发起，正在等待密钥持有人提交分片 / "
            f"A rescue is already under way (started {guide.when(current.rescue_started_at).en}): "
            "waiting for the key holders' shares",
            code="conflict",
        )
    failed = current.openings.filter(status=OpeningStatus.FAILED).count()
    current.rescue_started_at = clock.now()
    current.save(update_fields=["rescue_started_at"])
    events.emit(
        current,
        "rescue_started",
        {"failed": failed, "need": current.section.opening_key_threshold, "regulator": True},
    )
    ledger.append(
        "realtime.rescue.started",
        actor=person,
        target=current.section,
        address=address,
        data={"failed": failed, "rule": "E31"},
    )
    return current


def end_rescue(hall: Hall) -> None:
    """The key was rebuilt, or the hall left decryption: no more releases (lock held)."""
    if hall.rescue_started_at is None:
        return
    hall.rescue_started_at = None
    hall.save(update_fields=["rescue_started_at"])
