"""Remote decryption [E30, E31]: the bidder unwraps its content key on its own machine and
submits it inside the window; the server checks it against the envelope (the opening sheet
authenticates) and decrypts the rest in a Celery task. A bid the bidder did not open in time
is revoked (撤销); one the platform failed to decrypt is rescued with the opening key, which
two of its three holders — the regulator always one of them — rebuild in a rescue the host
starts after the deadline (realtime/rescue.py), or else withdrawn (撤回).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import Person
from bidding.parts import HashingReader, PartsReader
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm import dkg, envelope, shamir, sm2
from ggzy_core.gm.errors import GMError
from realtime import events, guide, rescue
from realtime.hall import locked
from realtime.models import BidOpening, Hall, OpeningStatus, ShareSubmission
from supervision import ledger
from trading import ceremony
from trading.models import OpeningKeyMode
from trading.opening_key import required_holder_id

# A bid whose key was accepted: unlocking it again changes nothing and is no error.
ALREADY_OPENED = frozenset({OpeningStatus.DECRYPTING, OpeningStatus.DECRYPTED})


def already_opened_message(opening: BidOpening) -> str:
    """What a repeated unlock answers: the bid's key was accepted already."""
    if opening.status == OpeningStatus.DECRYPTED:
        return (
            f"投标 #{opening.number} 已解密，无需再次解密 / Bid no. {opening.number} is already "
            "decrypted: there is nothing more to do"
        )
    return (
        f"投标 #{opening.number} 的密钥已被接受，正在解密，无需再次提交 / The key of bid no. "
        f"{opening.number} was accepted and the bid is being decrypted: there is nothing more to do"
    )


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
    if current.status in ALREADY_OPENED:
        return current  # a repeated unlock: nothing to fix (the caller says so)
    guide.require(hall, "unlock")
    if current.status != OpeningStatus.PENDING:  # failed on the platform [E31]
        raise DomainError(
            "平台解密该投标失败，不能再由投标人解密；主持人可发起补救 [E31] / The platform failed "
            "to decrypt this bid, so the bidder cannot decrypt it again; the host can start a "
            "rescue [E31]",
            code="conflict",
        )
    now = clock.now()
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
    transaction.on_commit(lambda: decrypt_bid.delay(opening_id))


# The task lives with its service (its name is the one it always had): the service queues
# it, so a separate tasks module would import this one and be imported by it.
@shared_task(name="realtime.tasks.decrypt_bid", acks_late=True)
def decrypt_bid(opening_id: int) -> str:
    try:
        return decrypt(opening_id)
    except BidOpening.DoesNotExist:
        return "gone"  # queued for a bid that is gone (a reset test database)


def decrypt(opening_id: int) -> str:
    """Decrypt a bid's files into storage (the task calls this; safe to run twice)."""
    opening = BidOpening.objects.select_related("bid", "bid__upload", "bid__section").get(
        pk=opening_id
    )
    if opening.status != OpeningStatus.DECRYPTING or opening.content_key is None:
        return opening.status
    try:
        return _decrypt(opening, bytes(opening.content_key))
    finally:
        # A worker killed mid-task (the task then runs again, acks_late) leaves its plaintext
        # scratch behind: every run's is under one folder per bid, gone once the bid is.
        if not BidOpening.objects.filter(pk=opening_id, status=OpeningStatus.DECRYPTING).exists():
            shutil.rmtree(_scratch_root(opening_id), ignore_errors=True)


def _scratch_root(opening_id: int) -> Path:
    return Path(settings.VAR_DIR) / "decrypting" / str(opening_id)


def _decrypt(opening: BidOpening, content_key: bytes) -> str:
    opening_id = opening.pk
    try:
        _scratch_root(opening_id).mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(dir=_scratch_root(opening_id)) as scratch:
            stream = HashingReader(PartsReader(opening.bid.upload))
            files = envelope.unseal(cast(BinaryIO, stream), content_key, Path(scratch) / "out")
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
        # A run killed while storing left some of these, perhaps half-written: replace
        # them, or storage would keep both copies, the new one under a made-up name.
        default_storage.delete(name)
        return default_storage.save(name, File(handle))


def stored_files(opening: BidOpening) -> list[str]:
    """The storage names of a decrypted bid's files (``_store`` put them under one folder)."""
    names: list[str] = []
    folders = [f"opened/{opening.bid.section.code}/{opening.bid_id}"]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        names.extend(f"{folder}/{name}" for name in files)
        folders.extend(f"{folder}/{name}" for name in subfolders)
    return sorted(names)


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
    rescue.end_rescue(hall)  # no share is released after decryption


def waits_after_window(hall: Hall) -> bool:
    """Whether the hall stays in decryption once its window has run out: the platform is
    still decrypting, or a rescue the host started is under way (then the host moves on
    after it; a bid still failed then is withdrawn [E31])."""
    rescuing = (
        hall.rescue_started_at is not None
        and hall.openings.filter(status=OpeningStatus.FAILED).exists()
    )
    return rescuing or hall.openings.filter(status=OpeningStatus.DECRYPTING).exists()


def revoke_pending(hall: Hall, *, actor: Any) -> None:
    """The window ran out: a bid its bidder did not open is revoked [E31]."""
    _settle(hall, actor=actor, statuses=[OpeningStatus.PENDING])


@dataclass(frozen=True)
class ShareOutcome:
    """Where a rescue stands after a holder gave its share."""

    rescued: int  # bids whose content key the rebuilt opening key unwrapped
    given: int  # shares waiting in this rescue (the one just given included)
    need: int  # the section's threshold
    regulator_given: bool
    rebuilt: bool

    @property
    def message(self) -> str:
        if self.rebuilt:
            return (
                f"开标密钥已重建，补救了 {self.rescued} 个投标 / The opening key was rebuilt: "
                f"{self.rescued} bid(s) rescued"
            )
        if not self.regulator_given:
            return (
                f"已收到分片（{self.given}/{self.need}），仍需行政监督部门的分片 / Share received "
                f"({self.given}/{self.need}); the regulator's share is still needed"
            )
        missing = self.need - self.given
        return (
            f"已收到分片（{self.given}/{self.need}），还需 {missing} 个持有人的分片 / Share "
            f"received ({self.given}/{self.need}); {missing} more holder(s) must give theirs"
        )


def submit_share(
    *, hall: Hall, person: Person, share: bytes, address: str | None = None
) -> ShareOutcome:
    """A key holder gives its opened share, inside a rescue the host started [E31]. The key
    is rebuilt only from the threshold of shares *with the regulator's among them*
    (trading/rules.py): the centre's and the tenderee's are recorded and wait for it."""
    try:
        return _submit_share(hall=hall, person=person, share=share, address=address)
    except rescue.ShareRefused as refused:
        rescue.ledger_refusal(refused, person=person, hall=hall, request="use", address=address)
        raise


@transaction.atomic
def _submit_share(*, hall: Hall, person: Person, share: bytes, address: str | None) -> ShareOutcome:
    current = locked(hall)
    section = current.section
    held = rescue.holder_share(current, person)
    rescue.refuse_outside_rescue(current, held)
    try:
        value = shamir.Share.from_bytes(share)
    except (GMError, ValueError) as exc:
        raise rescue.ShareRefused(
            "分片格式错误 / The share is malformed", reason="malformed", held=held, code="invalid"
        ) from exc
    if value.index != held.index:
        raise rescue.ShareRefused(
            "分片编号不符 / This is not your share", reason="not_yours", held=held, code="invalid"
        )
    if section.opening_key_mode == OpeningKeyMode.DKG and not dkg.holder_share_is_valid(
        value, ceremony.qualified_commitments(section)
    ):  # a key the holders generated: every share is checkable on its own, so refuse it now
        raise rescue.ShareRefused(
            "分片与分发者的承诺不符，请用本单位绑定的密钥重新打开并合并各分发者的子分片 / The share "
            "does not fit the dealers' commitments: open the sub-shares again with your "
            "organisation's bound key and add them up",
            reason="fails_commitments",
            held=held,
            code="invalid",
        )
    ShareSubmission.objects.update_or_create(
        hall=current,
        holder_id=held.holder_id,
        defaults={"person": person, "share": share, "submitted_at": clock.now(), "used_at": None},
    )
    ledger.append(
        "realtime.opening_key.share_used",
        actor=person,
        target=section,
        address=address,
        data=rescue.holder_data(held),
    )
    waiting = list(current.shares.filter(used_at__isnull=True).exclude(share=None))
    required = required_holder_id(section)
    with_regulator = any(s.holder_id == required for s in waiting)
    need = section.opening_key_threshold
    if len(waiting) < need or not with_regulator:  # [E27]: centre + tenderee cannot open
        events.emit(
            current,
            "share_received",
            {"have": len(waiting), "need": need, "regulator": with_regulator},
        )
        return ShareOutcome(0, len(waiting), need, with_regulator, rebuilt=False)
    try:
        rescued = _rescue(current, waiting, required=required)
    except DomainError as exc:  # no pair with the regulator's share fits the published key
        raise rescue.ShareRefused(
            exc.message, reason="does_not_rebuild", held=held, code=exc.code
        ) from exc
    return ShareOutcome(rescued, len(waiting), need, True, rebuilt=True)


def _rebuild(
    hall: Hall, submissions: list[ShareSubmission], *, required: int
) -> tuple[sm2.SM2PrivateKey, list[ShareSubmission]]:
    """The key from the regulator's share and one other (the threshold is 2): each other
    share is tried in turn, so that one holder's wrong share cannot block the rescue."""
    section = hall.section
    expected = sm2.load_public_key(section.opening_key_pem.encode())
    first = [s for s in submissions if s.holder_id == required]
    others = [s for s in submissions if s.holder_id != required]
    for rest in itertools.combinations(others, section.opening_key_threshold - len(first)):
        used = first + list(rest)
        try:
            key = shamir.reconstruct_opening_key(
                [shamir.Share.from_bytes(bytes(s.share)) for s in used if s.share is not None],
                expected_public_key=expected,
                threshold=section.opening_key_threshold,
            )
        except GMError:
            continue
        return key, used
    raise DomainError(
        "分片不能重建开标密钥 / The shares do not rebuild the opening key", code="invalid"
    )


def _rescue(hall: Hall, submissions: list[ShareSubmission], *, required: int) -> int:
    section = hall.section
    opening_key, used = _rebuild(hall, submissions, required=required)
    now = clock.now()
    for submission in submissions:  # a share is used once and not kept
        submission.share = None
        submission.used_at = now
        submission.save(update_fields=["share", "used_at"])
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
    ledger.append(
        "realtime.opening_key.reconstructed",
        actor=ledger.SYSTEM,
        target=section,
        data={"holders": [s.holder.credit_code for s in used], "rescued": rescued},
    )
    rescue.end_rescue(hall)  # the key is forgotten; another failure needs a new rescue
    events.emit(hall, "rescue_ended", {"rescued": rescued})
    return rescued
