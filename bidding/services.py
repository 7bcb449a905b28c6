"""Sealed-bid services: resumable upload, receipt, replace, withdraw.

The server clock decides: a bid counts only when its last byte is stored before the bid
deadline [E27, L28]; an upload that started in time but finished late is refused. A refusal
commits its record and ledger entry, deletes every stored part, then raises — nothing is
left half-stored. A retry (same idempotency key, same offset) never makes a second bid.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import IO, Any, BinaryIO, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from accounts.models import Organisation, Person, Role
from accounts.services import active_key
from bidding import parts
from bidding.models import GONE, Bid, BidStatus, Receipt, ReceiptKind, Upload, UploadState
from bidding.rules import MAX_BID_BYTES, MAX_PART_BYTES, REASONS, Gone, Refusal, refused
from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy_core.gm import envelope, sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.receipts import RECEIPT_FORMAT, receipt_message
from supervision import ledger
from trading.models import Section, SectionStatus
from trading.signals import bid_withdrawn

ACCEPTING = frozenset({SectionStatus.PUBLISHED, SectionStatus.BIDDING})


def _check_accepting(section: Section, now: dt.datetime) -> None:
    if now >= section.bid_deadline:
        raise Refusal("late")
    # By the times, not only the status: a late chronograph tick must not decide.
    if section.status not in ACCEPTING or now < section.documents_from:
        raise Refusal("not_accepting")


def upload_create(
    *,
    section: Section,
    person: Person,
    length: int,
    idempotency_key: str,
    replaces: Bid | None = None,
    address: str | None = None,
) -> tuple[Upload, bool]:
    """Start an upload (or find the one this idempotency key started). Returns (upload, new)."""
    try:
        with transaction.atomic():
            return _create(section, person, length, idempotency_key, replaces, address)
    except Refusal as refusal:
        _ledger_refusal(section, person, refusal, address=address)
        raise refusal.as_domain_error() from refusal


def _create(
    section: Section,
    person: Person,
    length: int,
    key: str,
    replaces: Bid | None,
    address: str | None,
) -> tuple[Upload, bool]:
    organisation = person.organisation
    if person.role != Role.BIDDER or organisation is None:
        raise Refusal("not_bidder")
    existing = (
        Upload.objects.filter(organisation=organisation, section=section, idempotency_key=key)
        .exclude(state=UploadState.TERMINATED)  # a terminated upload freed its key
        .first()
    )
    if existing is not None:
        if existing.length != length:
            raise DomainError(
                "同一幂等键的上传长度不同 / This idempotency key started an upload of another length",
                code="conflict",
            )
        return existing, False
    now = clock.now()
    _check_accepting(section, now)
    if not 0 < length <= MAX_BID_BYTES:
        raise Refusal("too_large" if length > 0 else "not_sealed", f"{length} bytes")
    if replaces is not None and (
        replaces.organisation_id != organisation.pk
        or replaces.section_id != section.pk
        or replaces.status != BidStatus.RECEIVED
    ):
        raise Refusal("bad_replace")
    _check_open_quota(organisation, length)
    upload = Upload.objects.create(
        section=section,
        organisation=organisation,
        person=person,
        idempotency_key=key,
        length=length,
        replaces=replaces,
        created_at=now,
        updated_at=now,
        network_address=address,
    )
    ledger.append(
        "bidding.upload.started",
        actor=person,
        target=upload,
        address=address,
        data={
            "section": section.code,
            "length": length,
            "replaces": str(replaces.pk) if replaces else None,
        },
        embargo=section.embargo_scope,
    )
    return upload, True


def _check_open_quota(organisation: Organisation, length: int) -> None:
    """Open uploads hold disk until they finish or expire: one organisation's declared open
    bytes, across all sections, stay under ``BIDDING_OPEN_BYTES_PER_ORGANISATION``. The
    organisation's row is locked so that two creations cannot both fit in the same room."""
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    quota = settings.BIDDING_OPEN_BYTES_PER_ORGANISATION
    held = (
        Upload.objects.filter(organisation=organisation, state=UploadState.OPEN).aggregate(
            held=Sum("length")
        )["held"]
        or 0
    )
    if held + length > quota:
        raise Refusal(
            "open_quota",
            f"配额 / quota {quota} bytes; 未完成 / open {held} bytes; "
            f"本次 / this upload {length} bytes",
        )


def upload_append(
    *,
    upload: Upload,
    person: Person,
    offset: int,
    stream: IO[bytes] | Any,
    address: str | None = None,
) -> Upload:
    """Store the bytes at ``offset`` (must equal what the server has); on the last byte,
    verify and file the bid. Raises ``DomainError`` (``code`` says why)."""
    try:
        with transaction.atomic():
            return _append(upload, person, offset, stream, address)
    except Refusal as refusal:
        _refuse_upload(upload, refusal, address=address)
        raise refusal.as_domain_error() from refusal


def _append(
    upload: Upload, person: Person, offset: int, stream: IO[bytes] | Any, address: str | None
) -> Upload:
    # Lock the upload's row only (``of``): PostgreSQL would otherwise lock the joined section
    # and organisation for the whole part, queueing every other bidder of the section.
    locked = (
        Upload.objects.select_for_update(of=("self",))
        .select_related("section", "organisation")
        .get(pk=upload.pk)
    )
    if locked.state == UploadState.COMPLETE and offset == locked.length:
        return locked  # a retry of the last PATCH after its answer was lost
    if locked.state in GONE:
        raise _gone(locked)
    if locked.state != UploadState.OPEN:
        raise DomainError(
            f"该上传已结束：{locked.refusal_reason or locked.state} / This upload is over",
            code="conflict",
        )
    if offset != locked.offset:
        raise DomainError(
            f"上传位置应为 {locked.offset} / The upload is at offset {locked.offset}, not {offset}",
            code="offset_mismatch",
        )
    section = locked.section
    _check_accepting(section, clock.now())
    limit = min(locked.length - locked.offset, MAX_PART_BYTES)
    # Refusals that end nothing: the upload stays open with what it had, the client resumes.
    try:
        parts.check_room(limit)
        count, hasher, overflow = parts.store_part(locked, stream, limit=limit)
    except parts.EmptyPart as exc:
        raise refused("empty_part") from exc
    except parts.NoRoom as exc:
        raise refused("storage_full") from exc
    locked.parts += 1
    if overflow:
        raise Refusal("length_mismatch")
    if count < locked.length - locked.offset and clock.now() >= section.bid_deadline:
        # The part crossed the deadline while streaming: the bid cannot be complete in time,
        # and the deadline's expiry may already have passed this (locked) upload by [E27].
        raise Refusal("late")
    locked.offset += count
    locked.updated_at = clock.now()
    locked.save(update_fields=["offset", "parts", "updated_at"])
    new_offset = locked.offset
    transaction.on_commit(lambda: parts.hashers.keep(locked, new_offset, hasher))
    if locked.offset == locked.length:
        _complete(locked, person, hasher.hexdigest(), address)
    return locked


def _complete(upload: Upload, person: Person, digest: str, address: str | None) -> Bid:
    received_at = clock.now()  # the last byte is stored: this is the bid's time
    if received_at >= upload.section.bid_deadline:
        raise Refusal("late", f"received {received_at.isoformat()}")
    # Verify before taking the section's lock: reading a large bid back takes seconds, and
    # other bidders' completions in this section must not queue behind it.
    manifest = _verified_manifest(upload, upload.section)
    section = Section.objects.select_for_update().get(pk=upload.section_id)
    if received_at >= section.bid_deadline:  # judged again under the lock
        raise Refusal("late", f"received {received_at.isoformat()}")
    live = Bid.objects.filter(
        section=section, organisation=upload.organisation, status=BidStatus.RECEIVED
    ).first()
    if live is not None and (upload.replaces_id is None or upload.replaces_id != live.pk):
        raise Refusal("second_bid", str(live.pk))
    if upload.replaces_id is not None and live is None:
        raise Refusal("bad_replace")
    # No number is given here: a per-section counter would tell the bidder how many others
    # bid before it [E21]. The opening numbers the bids (realtime.hall.open_hall).
    if live is not None:
        live.status = BidStatus.REPLACED
        live.save(update_fields=["status"])
    bid = Bid.objects.create(
        section=section,
        organisation=upload.organisation,
        upload=upload,
        size=upload.length,
        sm3=digest,
        received_at=received_at,
        manifest=manifest.to_dict(),
        key_fingerprint=manifest.bidder_key_fingerprint,
        machine_fingerprint=manifest.client.machine_fingerprint,
        file_creation_id=manifest.client.file_creation_id,
        network_address=address,
        flags=_collusion_flags(section, upload, manifest, address),
    )
    if live is not None:
        live.replaced_by = bid
        live.save(update_fields=["replaced_by"])
    upload.state = UploadState.COMPLETE
    upload.save(update_fields=["state"])
    receipt = _issue_receipt(bid, ReceiptKind.RECEIVED)
    ledger.append(
        "bidding.bid.replaced" if live else "bidding.bid.received",
        actor=person,
        target=bid,
        address=address,
        data={
            "section": section.code,
            "bid": str(bid.pk),
            "sm3": digest,
            "size": bid.size,
            "received_at": received_at,
            "replaces": str(live.pk) if live else None,
            "flags": bid.flags,
            "receipt_signature_sm3": receipt.payload["sm3"],
        },
        embargo=section.embargo_scope,
    )
    return bid


def _verified_manifest(upload: Upload, section: Section) -> envelope.Manifest:
    """One streaming pass over the stored bytes: structure, then the bidder's signature."""
    organisation = upload.organisation
    key = active_key(organisation)
    if key is None:
        raise Refusal("no_key")
    try:
        # The manifest names the signing key: a key that is not the bound one is said so, not
        # reported as "the signature is invalid" after a pointless verification.
        named = envelope.read_manifest(cast(BinaryIO, parts.PartsReader(upload)))
    except GMError as exc:
        raise Refusal("not_sealed", str(exc)) from exc
    _refuse_an_unbound_key(organisation, named.bidder_key_fingerprint, key.fingerprint)
    signer = sm2.load_public_key(key.public_key_pem.encode())
    try:
        verified = envelope.verify(cast(BinaryIO, parts.PartsReader(upload)), signer=signer)
    except envelope.EnvelopeSignatureError as exc:
        raise Refusal("bad_signature", str(exc)) from exc
    except GMError as exc:
        raise Refusal("not_sealed", str(exc)) from exc
    manifest = verified.manifest
    if manifest.section_id != section.pk or manifest.section_code != section.code:
        raise Refusal("wrong_section", f"{manifest.section_code}")
    if manifest.bidder_credit_code != organisation.credit_code:
        raise Refusal("wrong_bidder", manifest.bidder_credit_code)
    if manifest.recipient(section.opening_key_fingerprint) is None:
        raise Refusal("no_opening_recipient")
    return manifest


def _refuse_an_unbound_key(organisation: Organisation, signer: str, bound: str) -> None:
    if signer == bound:
        return
    if organisation.keys.filter(fingerprint=signer).exists():
        raise Refusal("wrong_key", signer)
    where = reverse("accounts:keys", args=[organisation.pk])
    raise Refusal("key_not_bound", signer, where=where)


def _collusion_flags(
    section: Section, upload: Upload, manifest: envelope.Manifest, address: str | None
) -> list[dict[str, Any]]:
    """Signals noticed at receipt [R34, R40]: recorded for the evaluation and the regulator,
    never a reason to refuse."""
    others = (
        Bid.objects.filter(section=section, status=BidStatus.RECEIVED)
        .exclude(organisation=upload.organisation)
        .select_related("organisation")
    )
    digest = upload.organisation.legal_representative_id_digest
    flags = []
    for other in others:
        signals = []
        if digest and other.organisation.legal_representative_id_digest == digest:
            signals.append("same_legal_representative")  # [R34]
        if (
            manifest.client.machine_fingerprint
            and other.machine_fingerprint == manifest.client.machine_fingerprint
        ):
            signals.append("same_machine")  # [R40]
        if (
            manifest.client.file_creation_id
            and other.file_creation_id == manifest.client.file_creation_id
        ):
            signals.append("same_file_creation_id")  # [R40]
        if address and other.network_address == address:
            signals.append("same_network_address")
        if signals:
            flags.append(
                {
                    "bid": str(other.pk),
                    "organisation": other.organisation.credit_code,
                    "signals": signals,
                }
            )
    return flags


def _issue_receipt(bid: Bid, kind: str) -> Receipt:
    now = clock.now()
    payload = {
        "format": RECEIPT_FORMAT,
        "kind": kind,
        "section": bid.section.code,
        "section_id": bid.section_id,
        "bidder": bid.organisation.credit_code,
        "bid_id": str(bid.pk),  # opaque; no number that counts other bids [E21]
        "sm3": bid.sm3,
        "size": bid.size,
        "received_at": bid.received_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "issued_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }
    return Receipt.objects.create(
        bid=bid,
        kind=kind,
        payload=payload,
        signature=signing.platform_sign(receipt_message(payload)),
        key_fingerprint=signing.platform_public_key().fingerprint(),
        issued_at=now,
    )


def receipt_document(receipt: Receipt) -> dict[str, Any]:
    """The receipt as the bidder keeps it (and ``verify_receipt`` checks it)."""
    return {
        "payload": receipt.payload,
        "signature": bytes(receipt.signature).hex(),
        "key_fingerprint": receipt.key_fingerprint,
    }


def _refuse_upload(upload: Upload, refusal: Refusal, *, address: str | None) -> None:
    with transaction.atomic():
        locked = Upload.objects.select_for_update().select_related("section").get(pk=upload.pk)
        if locked.state == UploadState.OPEN:
            locked.state = UploadState.REFUSED
            locked.refusal_code = refusal.code
            locked.refusal_reason = refusal.message
            locked.updated_at = clock.now()
            locked.save(update_fields=["state", "refusal_code", "refusal_reason", "updated_at"])
        _ledger_refusal(locked.section, locked.person, refusal, address=address, upload=locked)
        transaction.on_commit(lambda: parts.delete_all(locked))


def _gone(upload: Upload) -> Gone:
    reason = upload.refusal_reason or REASONS.get(upload.refusal_code, upload.state)
    return Gone(reason, code=upload.refusal_code or upload.state)


def upload_terminate(*, upload: Upload, person: Person, address: str | None = None) -> Upload:
    """tus termination: the uploading organisation abandons an open upload before the
    deadline. Its parts are deleted after commit; its address answers 410 from now on, and
    its idempotency key is free for a fresh upload of the same file."""
    with transaction.atomic():
        locked = (
            Upload.objects.select_for_update(of=("self",))
            .select_related("section")
            .get(pk=upload.pk)
        )
        section = locked.section
        if (
            person.role != Role.BIDDER
            or person.organisation_id is None
            or person.organisation_id != locked.organisation_id
        ):
            raise refused("not_bidder")
        if locked.state == UploadState.COMPLETE:
            raise refused("complete", f"bid {locked.bid.pk}")
        if locked.state != UploadState.OPEN:
            raise _gone(locked)
        if clock.now() >= section.bid_deadline:
            raise refused("terminate_late")  # [E27]: what is open now expires at the deadline
        locked.state = UploadState.TERMINATED
        locked.refusal_code = "terminated"
        locked.refusal_reason = REASONS["terminated"]
        locked.updated_at = clock.now()
        locked.save(update_fields=["state", "refusal_code", "refusal_reason", "updated_at"])
        ledger.append(
            "bidding.upload.terminated",
            actor=person,
            target=locked,
            address=address,
            data={
                "section": section.code,
                "length": locked.length,
                "offset": locked.offset,
                "parts": locked.parts,
            },
            embargo=section.embargo_scope,
        )
        transaction.on_commit(partial(parts.delete_all, locked))
    return locked


def uploads_expire(*, section: Section, wait: bool = False) -> int:
    """Expire every upload of ``section`` still open once it stopped accepting bids (the
    deadline, or a cancellation): parts deleted after commit, each ledgered. Idempotent:
    only open uploads are touched, so a late or repeated call is still correct.

    Called by the chronograph with the section locked. A PATCH that is completing a bid
    holds its upload's lock and then waits for the section's: waiting here for that upload
    would deadlock, so locked uploads are skipped, and expired after commit (``wait``), once
    the section's lock is released and that PATCH has ended."""
    now = clock.now()
    late = now >= section.bid_deadline
    code = "expired" if late else "not_accepting"
    reason = REASONS[code] if late else f"{REASONS[code]}: {section.status}"
    with transaction.atomic():
        still_open = Upload.objects.filter(section_id=section.pk, state=UploadState.OPEN)
        expired = list(still_open.select_for_update(skip_locked=not wait))
        for upload in expired:
            upload.state = UploadState.EXPIRED
            upload.refusal_code = code
            upload.refusal_reason = reason
            upload.updated_at = now
            upload.save(update_fields=["state", "refusal_code", "refusal_reason", "updated_at"])
            ledger.append(
                "bidding.upload.expired",
                actor=ledger.SYSTEM,
                target=upload,
                data={
                    "section": section.code,
                    "code": code,
                    "length": upload.length,
                    "offset": upload.offset,
                    "parts": upload.parts,
                },
                embargo=section.embargo_scope,
            )
            transaction.on_commit(partial(parts.delete_all, upload))
        if not wait and still_open.exclude(pk__in=[u.pk for u in expired]).exists():
            transaction.on_commit(partial(uploads_expire, section=section, wait=True))
    return len(expired)


def _ledger_refusal(
    section: Section,
    person: Person,
    refusal: Refusal,
    *,
    address: str | None,
    upload: Upload | None = None,
) -> None:
    ledger.append(
        "bidding.upload.refused",
        actor=person,
        target=upload or section,
        address=address,
        data={"section": section.code, "code": refusal.code, "reason": refusal.message},
        embargo=section.embargo_scope,
    )


@transaction.atomic
def bid_withdraw(*, bid: Bid, person: Person, address: str | None = None) -> Receipt:
    """The bidder withdraws its bid before the deadline [E27, R35]; it gets a signed receipt."""
    locked = (
        Bid.objects.select_for_update().select_related("section", "organisation").get(pk=bid.pk)
    )
    now = clock.now()
    if now >= locked.section.bid_deadline:
        raise DomainError(
            "投标截止后不能撤回投标 [R35] / A bid cannot be withdrawn after the deadline [R35]",
            code="late",
        )
    if locked.status != BidStatus.RECEIVED:
        raise DomainError("该投标已失效 / This bid is no longer live", code="conflict")
    locked.status = BidStatus.WITHDRAWN
    locked.withdrawn_at = now
    locked.save(update_fields=["status", "withdrawn_at"])
    receipt = _issue_receipt(locked, ReceiptKind.WITHDRAWN)
    ledger.append(
        "bidding.bid.withdrawn",
        actor=person,
        target=locked,
        address=address,
        data={"section": locked.section.code, "bid": str(locked.pk)},
        embargo=locked.section.embargo_scope,
    )
    bid_withdrawn.send(sender=Bid, section=locked.section, organisation=locked.organisation)
    return receipt


def live_bid_count(section: Section) -> int:
    return Bid.objects.filter(section=section, status=BidStatus.RECEIVED).count()


def live_bidder_codes(section: Section) -> set[str]:
    """Who holds a live bid in the section, by credit code (the expert draw avoids them)."""
    live = Bid.objects.filter(section=section, status=BidStatus.RECEIVED)
    return set(live.values_list("organisation__credit_code", flat=True))
