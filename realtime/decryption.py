"""Remote decryption [E30, E31]: the bidder unwraps its content key on its own machine and
submits it inside the window; the server checks it against the envelope (the opening sheet
authenticates) and decrypts the rest in a Celery task. A bid the bidder did not open in time
is revoked (撤销); one the platform failed to decrypt is rescued with the opening key, which
two of its three holders rebuild after the deadline, or else withdrawn (撤回).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import Person
from bidding.parts import HashingReader, PartsReader
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.gm import envelope, shamir, sm2
from ggzy.gm.errors import GMError
from realtime import events
from realtime.hall import locked
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus, ShareSubmission
from supervision import ledger
from trading.models import OpeningKeyShare


def _header(opening: BidOpening) -> envelope.EnvelopeHeader:
    return envelope.read_header(cast(BinaryIO, PartsReader(opening.bid.upload)))


def _announce(hall: Hall, opening: BidOpening) -> None:
    events.emit(
        hall,
        "bid_status",
        {
            "bid": str(opening.bid_id),
            "bidder": opening.bid.organisation.name,
            "status": opening.status,
        },
    )


@transaction.atomic
def submit_key(
    *, opening: BidOpening, person: Person, content_key: bytes, address: str | None = None
) -> BidOpening:
    hall = locked(opening.hall_id)
    current = (
        BidOpening.objects.select_for_update()
        .select_related("bid", "bid__organisation")
        .get(pk=opening.pk)
    )
    if current.bid.organisation_id != person.organisation_id:
        raise DomainError(
            "只能解密本单位的投标 / You can only decrypt your own bid", code="forbidden"
        )
    now = clock.now()
    if hall.stage != HallStage.DECRYPTION or (hall.stage_deadline and now >= hall.stage_deadline):
        raise DomainError("不在解密时限内 / The decryption window is not open", code="conflict")
    if current.status not in (OpeningStatus.PENDING,):
        raise DomainError(
            f"该投标当前状态为 {current.status} / This bid is {current.status}", code="conflict"
        )
    try:
        header = _header(current)
        if not envelope.check_content_key(header, content_key):
            raise DomainError(
                "密钥不能打开该投标文件，请检查后在时限内重试 / This key does not open the bid; "
                "check it and try again within the window",
                code="wrong_key",
            )
        sheet = envelope.open_sheet(header, content_key)
    except (OSError, envelope.TamperedEnvelope) as exc:
        # The stored bytes fail: the platform's fault, not the bidder's [E31].
        current.status = OpeningStatus.FAILED
        current.failure = f"storage: {type(exc).__name__}"
        current.save(update_fields=["status", "failure"])
        _announce(hall, current)
        ledger.append(
            "realtime.bid.failed",
            actor=person,
            target=current.bid,
            address=address,
            data={"reason": current.failure},
        )
        return current
    current.content_key = content_key
    current.key_source = "bidder"
    current.sheet = sheet
    current.status = OpeningStatus.DECRYPTING
    current.submitted_at = now
    current.save(update_fields=["content_key", "key_source", "sheet", "status", "submitted_at"])
    _announce(hall, current)
    ledger.append(
        "realtime.bid.key_submitted",
        actor=person,
        target=current.bid,
        address=address,
        data={"bid": str(current.bid_id), "number": current.number},
    )
    _queue_decryption(current.pk)
    return current


def _queue_decryption(opening_id: int) -> None:
    from realtime.tasks import decrypt_bid

    transaction.on_commit(lambda: decrypt_bid.delay(opening_id))


def decrypt(opening_id: int) -> str:
    """Decrypt a bid's files into storage (the task calls this; safe to run twice)."""
    opening = BidOpening.objects.select_related("bid", "bid__upload", "bid__section").get(
        pk=opening_id
    )
    if opening.status != OpeningStatus.DECRYPTING or opening.content_key is None:
        return opening.status
    try:
        with tempfile.TemporaryDirectory() as scratch:
            stream = HashingReader(PartsReader(opening.bid.upload))
            files = envelope.unseal(
                cast(BinaryIO, stream), bytes(opening.content_key), Path(scratch) / "out"
            )
            # The bytes decrypted must be the bytes the receipt names.
            if stream.drain() != opening.bid.sm3:
                raise OSError("the stored bid does not match its receipt's SM3")
            stored = [_store(opening, Path(scratch) / "out", path) for path in files]
        outcome = OpeningStatus.DECRYPTED
        detail: dict[str, Any] = {"files": len(stored), "sm3": opening.bid.sm3}
    except (OSError, GMError) as exc:
        outcome = OpeningStatus.FAILED
        detail = {"reason": type(exc).__name__}
    with transaction.atomic():
        hall = locked(opening.hall_id)
        current = (
            BidOpening.objects.select_for_update()
            .select_related("bid__organisation")
            .get(pk=opening_id)
        )
        if current.status != OpeningStatus.DECRYPTING:
            return current.status
        current.status = outcome
        current.decrypted_at = clock.now() if outcome == OpeningStatus.DECRYPTED else None
        current.failure = str(detail.get("reason", ""))
        current.save(update_fields=["status", "decrypted_at", "failure"])
        _announce(hall, current)
        ledger.append(
            f"realtime.bid.{outcome}", actor=ledger.SYSTEM, target=current.bid, data=detail
        )
    return outcome


def _store(opening: BidOpening, root: Path, path: Path | str) -> str:
    relative = Path(path).relative_to(root) if Path(path).is_absolute() else Path(path)
    name = f"opened/{opening.bid.section.code}/{opening.bid_id}/{relative.as_posix()}"
    with (root / relative).open("rb") as handle:
        return default_storage.save(name, File(handle))


# What becomes of a bid not opened when decryption ends [E31]: revoked (撤销) when the
# bidder did not open it, withdrawn (撤回) when the platform failed and could not rescue it.
_FATE = {
    OpeningStatus.PENDING: OpeningStatus.REVOKED,
    OpeningStatus.FAILED: OpeningStatus.WITHDRAWN,
}


def _settle(hall: Hall, *, actor: Any, statuses: list[str]) -> None:
    for opening in hall.openings.filter(status__in=statuses).select_related("bid__organisation"):
        opening.status = _FATE[OpeningStatus(opening.status)]
        opening.save(update_fields=["status"])
        _announce(hall, opening)
        ledger.append(
            f"realtime.bid.{opening.status}", actor=actor, target=opening.bid, data={"rule": "E31"}
        )


def close_window(hall: Hall, *, actor: Any) -> None:
    """Leaving decryption: whatever the bidder did not open in time is revoked [E31]; a bid
    the platform failed on and could not rescue is withdrawn [E31]; nothing may still be
    decrypting (the host waits for it)."""
    if hall.openings.filter(status=OpeningStatus.DECRYPTING).exists():
        raise DomainError(
            "仍有投标正在解密，请稍候 / Bids are still decrypting: wait for them", code="conflict"
        )
    _settle(hall, actor=actor, statuses=[OpeningStatus.PENDING, OpeningStatus.FAILED])


def expire_window(hall: Hall) -> None:
    """The chronograph at the end of the window: revoke what is pending; move on to the
    reading unless the platform is still decrypting (then the host moves on after it)."""
    from realtime.hall import enter

    if hall.openings.filter(status=OpeningStatus.DECRYPTING).exists():
        _settle(hall, actor=ledger.SYSTEM, statuses=[OpeningStatus.PENDING])
        hall.stage_deadline = None
        hall.save(update_fields=["stage_deadline"])
        events.emit(hall, "window_closed", {})
        return
    enter(hall, HallStage.READING, actor=ledger.SYSTEM)


@transaction.atomic
def submit_share(*, hall: Hall, person: Person, share: bytes) -> int:
    """A key holder gives its opened share, to rescue bids the platform failed on [E31].
    Returns how many bids were rescued (0 until enough holders have given theirs)."""
    current = locked(hall)
    section = current.section
    if current.stage != HallStage.DECRYPTION:
        raise DomainError(
            "只能在解密阶段使用开标密钥分片 / Shares are used only during decryption",
            code="conflict",
        )
    if not current.openings.filter(status=OpeningStatus.FAILED).exists():
        raise DomainError("没有需要补救的投标 / No bid needs the opening key", code="conflict")
    held = OpeningKeyShare.objects.filter(section=section, holder_id=person.organisation_id).first()
    if held is None:
        raise DomainError(
            "本单位不保管开标密钥分片 / Your organisation holds no share", code="forbidden"
        )
    try:
        value = shamir.Share.from_bytes(share)
    except (GMError, ValueError) as exc:
        raise DomainError("分片格式错误 / The share is malformed", code="invalid") from exc
    if value.index != held.index:
        raise DomainError("分片编号不符 / This is not your share", code="invalid")
    ShareSubmission.objects.update_or_create(
        hall=current,
        holder_id=held.holder_id,
        defaults={"person": person, "share": share, "submitted_at": clock.now()},
    )
    ledger.append(
        "realtime.opening_key.share_used",
        actor=person,
        target=section,
        data={
            "holder": person.organisation.credit_code if person.organisation else "",
            "index": held.index,
        },
    )
    waiting = list(current.shares.filter(used_at__isnull=True).exclude(share=None))
    if len(waiting) < section.opening_key_threshold:
        events.emit(
            current, "share_received", {"have": len(waiting), "need": section.opening_key_threshold}
        )
        return 0
    return _rescue(current, waiting)


def _rescue(hall: Hall, submissions: list[ShareSubmission]) -> int:
    section = hall.section
    expected = sm2.load_public_key(section.opening_key_pem.encode())
    try:
        opening_key = shamir.reconstruct_opening_key(
            [shamir.Share.from_bytes(bytes(s.share)) for s in submissions if s.share is not None],
            expected_public_key=expected,
            threshold=section.opening_key_threshold,
        )
    except GMError as exc:
        raise DomainError(
            "分片不能重建开标密钥 / The shares do not rebuild the opening key", code="invalid"
        ) from exc
    now = clock.now()
    for submission in submissions:  # a share is used once and not kept
        submission.share = None
        submission.used_at = now
        submission.save(update_fields=["share", "used_at"])
    ledger.append(
        "realtime.opening_key.reconstructed",
        actor=ledger.SYSTEM,
        target=section,
        data={"holders": len(submissions)},
    )
    rescued = 0
    for opening in hall.openings.filter(status=OpeningStatus.FAILED).select_related(
        "bid__organisation", "bid__upload"
    ):
        try:
            header = _header(opening)
            key = envelope.unwrap_content_key(header.manifest, opening_key)
            sheet = envelope.open_sheet(header, key)
        except (OSError, GMError):
            continue  # still unreadable: withdrawn when the window closes [E31]
        opening.content_key, opening.key_source, opening.sheet = key, "opening_key", sheet
        opening.status, opening.submitted_at = OpeningStatus.DECRYPTING, now
        opening.save(update_fields=["content_key", "key_source", "sheet", "status", "submitted_at"])
        _announce(hall, opening)
        _queue_decryption(opening.pk)
        rescued += 1
    return rescued
