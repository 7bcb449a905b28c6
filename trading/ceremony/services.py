"""The ceremony's services: start, deal, verify (ruling on complaints), close by time or
when everyone is done, and the choice of the dealt fallback. Each is atomic, holds the
section's lock, is guarded and ledgered — never a share's value in the ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Person
from accounts.services import active_key
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.canonical import canonical
from ggzy_core.gm import dkg, sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from trading import access, chronograph
from trading.ceremony.records import (
    closes_at,
    dealing_of,
    every_dealer_verified,
    has_dealt,
    has_verified,
    holder_data,
    latest,
    live,
    qualified,
    when,
)
from trading.models import (
    CeremonyHolder,
    CeremonyStatus,
    KeyCeremony,
    KeyDealing,
    KeyVerification,
    OpeningKeyMode,
    OpeningKeyShare,
    Section,
    SectionStatus,
)
from trading.opening_key import holders_of
from trading.rules import OPENING_KEY_THRESHOLD

# When a holder never dealt, the others learn it only at the deadline: they get this long
# after it to check the dealings they received (and complain) before the ceremony closes.
VERIFICATION_GRACE = dt.timedelta(hours=24)
SILENT = "silent"  # the exclusion reason of a holder who never dealt


def _holder_of(ceremony: KeyCeremony, person: Person) -> CeremonyHolder:
    organisation_id = person.organisation_id
    holder = (
        ceremony.holders.filter(organisation_id=organisation_id).first()
        if organisation_id is not None
        else None
    )
    if holder is None or not person.is_active:
        raise DomainError(
            "本单位不是该标段开标密钥的持有人 / Your organisation is not a holder of this "
            "section's opening key",
            code="forbidden",
        )
    return holder


def next_moment(section: Section) -> dt.datetime | None:
    """The chronograph's due time for a draft section's collecting ceremony."""
    ceremony = section.ceremonies.filter(status=CeremonyStatus.COLLECTING).first()
    return closes_at(ceremony) if ceremony else None


def on_time(section: Section) -> None:
    """The chronograph's event (section locked): exclude the silent at the deadline, close at
    the end. Late ticks are correct: every step compares with the times stored."""
    ceremony = section.ceremonies.filter(status=CeremonyStatus.COLLECTING).first()
    if ceremony is None:
        return
    _catch_up(section, ceremony, clock.now())


def _catch_up(section: Section, ceremony: KeyCeremony, now: dt.datetime) -> None:
    if ceremony.status != CeremonyStatus.COLLECTING or now < closes_at(ceremony):
        return
    if ceremony.verification_deadline is not None:
        _close(section, ceremony, now)
        return
    holders = list(ceremony.holders.all())
    silent = [holder for holder in holders if not has_dealt(holder)]
    for holder in silent:
        _exclude(section, ceremony, holder, SILENT)
    dealt = len(holders) - len(silent)
    if not silent or dealt < ceremony.threshold or every_dealer_verified(ceremony):
        _close(section, ceremony, now)
        return
    ceremony.verification_deadline = ceremony.deadline + VERIFICATION_GRACE
    ceremony.save(update_fields=["verification_deadline"])


chronograph.register(
    chronograph.TimeEvent("opening_key_ceremony", SectionStatus.DRAFT, next_moment, on_time)
)


def _locked_section(section: Section) -> Section:
    return Section.objects.select_for_update().select_related("project").get(pk=section.pk)


@transaction.atomic
def start(*, section: Section, actor: Person, address: str | None = None) -> KeyCeremony:
    """The tenderee or agency starts the ceremony of a draft section whose key the holders
    generate; also after a failed one. Every holder needs a bound SM2 key."""
    locked = _locked_section(section)
    if not access.can_manage(actor, locked.project):
        raise DomainError(
            "只有招标人/代理机构可以发起开标密钥生成 / Only the tenderee or agency starts the "
            "opening key ceremony",
            code="forbidden",
        )
    if locked.status != SectionStatus.DRAFT or locked.opening_key_mode != OpeningKeyMode.DKG:
        raise DomainError(
            "只有选择“持有人共同生成”开标密钥的草稿标段可以发起密钥生成 / Only a draft section "
            "whose opening key its holders generate can start the ceremony",
            code="conflict",
        )
    running = live(locked)
    if running is not None:
        raise DomainError(
            f"开标密钥生成已{'完成' if running.status == CeremonyStatus.COMPLETE else '在进行中'}，"
            "无需重新发起 / The opening key ceremony is already "
            f"{'complete' if running.status == CeremonyStatus.COMPLETE else 'under way'}: "
            "there is nothing to restart",
            code="conflict",
        )
    holders = holders_of(locked)
    keys = {holder.pk: active_key(holder) for holder in holders}
    unbound = [holder.name for holder in holders if keys[holder.pk] is None]
    if unbound:
        names = "、".join(unbound)
        raise DomainError(
            f"{names} 尚未绑定SM2密钥，无法参与开标密钥生成；请其绑定后再发起 / {', '.join(unbound)} "
            "has no bound SM2 key to take part in the opening key ceremony: ask them to bind "
            "one, then start again",
            code="conflict",
        )
    now = clock.now()
    ceremony = KeyCeremony.objects.create(
        section=locked,
        threshold=OPENING_KEY_THRESHOLD,
        started_at=now,
        started_by=actor,
        deadline=now + dt.timedelta(hours=settings.OPENING_KEY_CEREMONY_HOURS),
    )
    for index, holder in enumerate(holders, 1):
        key = keys[holder.pk]
        assert key is not None  # nosec B101 # checked above
        CeremonyHolder.objects.create(
            ceremony=ceremony,
            index=index,
            organisation=holder,
            public_key_pem=key.public_key_pem,
            key_fingerprint=key.fingerprint,
        )
    ledger.append(
        "trading.opening_key.ceremony.started",
        actor=actor,
        target=locked,
        address=address,
        data={
            "ceremony": str(ceremony.pk),
            "threshold": ceremony.threshold,
            "deadline": ceremony.deadline,
            "holders": [holder_data(holder) for holder in ceremony.holders.all()],
        },
    )
    chronograph.reschedule(locked)
    return ceremony


def _collecting(section: Section) -> KeyCeremony:
    ceremony = latest(section)
    if ceremony is None or ceremony.status != CeremonyStatus.COLLECTING:
        state = "未发起" if ceremony is None else CeremonyStatus(ceremony.status).label
        raise DomainError(
            f"该标段没有正在进行的开标密钥生成（{state}） / No opening key ceremony of this "
            f"section is under way ({ceremony.status if ceremony else 'not started'})",
            code="conflict",
        )
    return ceremony


def _check_signature(holder: CeremonyHolder, message: bytes, signature: bytes) -> None:
    """Signed by the key pinned when the ceremony started, still the holder's bound key."""
    current = active_key(holder.organisation)
    if current is None or current.fingerprint != holder.key_fingerprint:
        raise DomainError(
            f"本单位的SM2密钥（{holder.key_fingerprint[:16]}…）自密钥生成开始后已变更或吊销，"
            "本次生成无法使用新密钥；请在截止后由招标人重新发起 / Your organisation's SM2 key "
            f"({holder.key_fingerprint[:16]}…) changed or was revoked after the ceremony "
            "started: this ceremony cannot use another key; the tenderee can start a new one "
            "after it closes",
            code="conflict",
        )
    public = sm2.load_public_key(holder.public_key_pem.encode())
    if not public.verify(message, signature):
        raise DomainError(
            f"签名不能用本单位绑定的SM2密钥（{holder.key_fingerprint[:16]}…）验证，请用该密钥签名 / "
            "The signature does not verify with your organisation's bound SM2 key "
            f"({holder.key_fingerprint[:16]}…): sign with that key",
            code="invalid",
            field="signature",
        )


def _malformed(what_zh: str, what_en: str, exc: Exception) -> DomainError:
    return DomainError(
        f"{what_zh}格式错误：{exc} / The {what_en} is malformed: {exc}",
        code="invalid",
        field="document",
    )


def _refuse_after_deadline(ceremony: KeyCeremony, now: dt.datetime) -> None:
    if now >= ceremony.deadline:
        zh, en = when(ceremony.deadline)
        raise DomainError(
            f"开标密钥生成的分发截止时间（{zh}）已过，不再接受分发 / The ceremony's dealings "
            f"closed at its deadline ({en}): no dealing is taken after it",
            code="conflict",
        )


@transaction.atomic
def deal(
    *,
    section: Section,
    person: Person,
    document: Mapping[str, Any],
    signature: bytes,
    address: str | None = None,
) -> KeyCeremony:
    """A holder's dealing, signed with its bound key, once, before the deadline."""
    locked = _locked_section(section)
    ceremony = _collecting(locked)
    now = clock.now()
    _refuse_after_deadline(ceremony, now)
    holder = _holder_of(ceremony, person)
    if has_dealt(holder):
        raise DomainError(
            "本单位已提交分发，每个持有人只能分发一次 / Your organisation has dealt already: "
            "each holder deals once",
            code="conflict",
        )
    try:
        dealing = dkg.Dealing.from_document(document)
        dkg.check_dealing(
            dealing,
            section=locked.code,
            ceremony=str(ceremony.pk),
            holders=set(ceremony.holders.values_list("index", flat=True)),
            threshold=ceremony.threshold,
        )
    except (GMError, ValueError, TypeError, KeyError) as exc:
        raise _malformed("分发文件", "dealing", exc) from exc
    if dealing.dealer != holder.index:
        raise DomainError(
            f"分发文件的编号（{dealing.dealer}）不是本单位的持有人编号（{holder.index}） / "
            f"The dealing is numbered {dealing.dealer}, your holder index is {holder.index}",
            code="invalid",
            field="document",
        )
    stored = dealing.document()
    _check_signature(holder, dkg.dealing_message(stored), signature)
    KeyDealing.objects.create(holder=holder, document=stored, signature=signature, received_at=now)
    ledger.append(
        "trading.opening_key.ceremony.dealt",
        actor=person,
        target=locked,
        address=address,
        data={
            "ceremony": str(ceremony.pk),
            **holder_data(holder),
            "dealing_sm3": sm3_hex(canonical(stored)),
        },
    )
    return ceremony


def _refuse_verification_too_early(ceremony: KeyCeremony, now: dt.datetime) -> None:
    missing = [h for h in ceremony.holders.select_related("organisation") if not has_dealt(h)]
    if missing and now < ceremony.deadline:
        names_zh = "、".join(h.organisation.name for h in missing)
        names_en = ", ".join(h.organisation.name for h in missing)
        zh, en = when(ceremony.deadline)
        raise DomainError(
            f"尚待 {names_zh} 分发，全部分发后（最迟 {zh} 截止后）才能验证 / Waiting for "
            f"{names_en} to deal: verify once every holder has dealt, or after the deadline "
            f"({en})",
            code="conflict",
        )


@transaction.atomic
def verify(
    *,
    section: Section,
    person: Person,
    document: Mapping[str, Any],
    signature: bytes,
    address: str | None = None,
) -> KeyCeremony:
    """A holder's verdict on the dealings it received; each complaint is ruled on: a
    revealed share that fails the dealer's commitments, or a share that does not decrypt,
    excludes the dealer; a revealed share that fits is recorded as unfounded."""
    locked = _locked_section(section)
    ceremony = _collecting(locked)
    now = clock.now()
    _catch_up(locked, ceremony, now)
    ceremony = _collecting(locked)  # a late tick may just have closed it
    holder = _holder_of(ceremony, person)
    if has_verified(holder):
        raise DomainError(
            "本单位已提交验证结果，每个持有人只能提交一次 / Your organisation has verified "
            "already: each holder verifies once",
            code="conflict",
        )
    _refuse_verification_too_early(ceremony, now)
    try:
        verification = dkg.Verification.from_document(document)
        dkg.check_verification(
            verification,
            section=locked.code,
            ceremony=str(ceremony.pk),
            holders=set(ceremony.holders.values_list("index", flat=True)),
        )
    except (GMError, ValueError, TypeError, KeyError) as exc:
        raise _malformed("验证文件", "verification", exc) from exc
    if verification.holder != holder.index:
        raise DomainError(
            f"验证文件的编号（{verification.holder}）不是本单位的持有人编号（{holder.index}） / "
            f"The verification is numbered {verification.holder}, your holder index is "
            f"{holder.index}",
            code="invalid",
            field="document",
        )
    stored = verification.document()
    _check_signature(holder, dkg.verification_message(stored), signature)
    verdicts = [
        _rule(locked, ceremony, holder, complaint, person=person, address=address)
        for complaint in verification.complaints
    ]
    KeyVerification.objects.create(
        holder=holder, document=stored, signature=signature, verdicts=verdicts, received_at=now
    )
    ledger.append(
        "trading.opening_key.ceremony.verified",
        actor=person,
        target=locked,
        address=address,
        data={
            "ceremony": str(ceremony.pk),
            **holder_data(holder),
            "complaints": [{"against": v["against"], "reason": v["reason"]} for v in verdicts],
        },
    )
    if _ready_to_close(ceremony, now):
        _close(locked, ceremony, now)
    return ceremony


def _rule(
    section: Section,
    ceremony: KeyCeremony,
    complainer: CeremonyHolder,
    complaint: dkg.Complaint,
    *,
    person: Person,
    address: str | None,
) -> dict[str, Any]:
    """The platform's verdict on one complaint, ledgered (a revealed share only by its SM3)."""
    found = dealing_of(ceremony, complaint.against)
    if found is None or complaint.against == complainer.index:
        raise DomainError(
            f"持有人 {complaint.against} 没有可投诉的分发 / Holder {complaint.against} has no "
            "dealing of yours to complain about",
            code="invalid",
            field="document",
        )
    dealer, dealing = found
    upheld = dkg.complaint_is_upheld(complaint, dealing.commitments)
    revealed = complaint.revealed_share
    data = {
        "ceremony": str(ceremony.pk),
        "complainer": complainer.index,
        "against": dealer.index,
        "dealer": dealer.organisation.credit_code,
        "reason": complaint.reason,
        "revealed_sm3": sm3_hex(revealed.to_bytes()) if revealed is not None else None,
    }
    verdict = "upheld" if upheld else "unfounded"
    ledger.append(
        f"trading.opening_key.ceremony.complaint_{verdict}",
        actor=person,
        target=section,
        address=address,
        data=data,
    )
    if upheld and not dealer.excluded:
        _exclude(section, ceremony, dealer, complaint.reason)
    return {"against": dealer.index, "reason": complaint.reason, "verdict": verdict}


def _exclude(section: Section, ceremony: KeyCeremony, holder: CeremonyHolder, reason: str) -> None:
    holder.excluded = reason
    holder.save(update_fields=["excluded"])
    ledger.append(
        "trading.opening_key.ceremony.excluded",
        actor=ledger.SYSTEM,
        target=section,
        data={"ceremony": str(ceremony.pk), **holder_data(holder), "reason": reason},
    )


def _ready_to_close(ceremony: KeyCeremony, now: dt.datetime) -> bool:
    """Every holder dealt and verified — or, past the deadline, every dealer verified."""
    everyone_dealt = all(has_dealt(holder) for holder in ceremony.holders.all())
    return (everyone_dealt or now >= ceremony.deadline) and every_dealer_verified(ceremony)


def _close(section: Section, ceremony: KeyCeremony, now: dt.datetime) -> None:
    counted = qualified(ceremony)
    ceremony.closed_at = now
    indices = [holder.index for holder, _dealing in counted]
    if len(counted) < ceremony.threshold:
        ceremony.status = CeremonyStatus.FAILED
        ceremony.failure = (
            f"合格的分发者只有 {len(counted)} 个，少于门限 {ceremony.threshold}；招标人可重新发起，"
            f"或改用平台分发的开标密钥 / Only {len(counted)} qualified dealer(s), fewer than the "
            f"threshold of {ceremony.threshold}: the tenderee may start the ceremony again or "
            "choose the platform-dealt opening key"
        )
        ceremony.save(update_fields=["status", "failure", "closed_at"])
        ledger.append(
            "trading.opening_key.ceremony.failed",
            actor=ledger.SYSTEM,
            target=section,
            data={"ceremony": str(ceremony.pk), "qualified": indices},
        )
        return
    opening_public = dkg.public_key(dealing.commitments for _holder, dealing in counted)
    section.opening_key_pem = opening_public.to_pem().decode("ascii")
    section.opening_key_fingerprint = opening_public.fingerprint()
    section.opening_key_threshold = ceremony.threshold
    section.save(
        update_fields=["opening_key_pem", "opening_key_fingerprint", "opening_key_threshold"]
    )
    for holder in ceremony.holders.all():  # the rescue's gate (realtime/rescue.py) reads these
        OpeningKeyShare.objects.create(
            section=section,
            holder_id=holder.organisation_id,
            holder_key_fingerprint=holder.key_fingerprint,
            index=holder.index,
            sealed_share=b"",
        )
    ceremony.status = CeremonyStatus.COMPLETE
    ceremony.save(update_fields=["status", "closed_at"])
    ledger.append(
        "trading.opening_key.ceremony.completed",
        actor=ledger.SYSTEM,
        target=section,
        data={
            "ceremony": str(ceremony.pk),
            "opening_key": section.opening_key_fingerprint,
            "qualified": indices,
        },
    )


@transaction.atomic
def choose_mode(*, section: Section, actor: Person, mode: str) -> Section:
    """The tenderee chooses how the draft's opening key is made: the ceremony (the default)
    or the fallback, a key the platform deals at publication (docs/envelope.md)."""
    locked = _locked_section(section)
    if not access.can_manage(actor, locked.project):
        raise DomainError(
            "只有招标人/代理机构可以选择开标密钥方式 / Only the tenderee or agency chooses how "
            "the opening key is made",
            code="forbidden",
        )
    if mode not in OpeningKeyMode.values:
        raise DomainError(
            f"未知的开标密钥方式 {mode} / Unknown opening key mode {mode}",
            code="invalid",
            field="opening_key_mode",
        )
    if locked.status != SectionStatus.DRAFT or live(locked) is not None:
        raise DomainError(
            "只有草稿且没有进行中或已完成的密钥生成时可以改变开标密钥方式 / The opening key's "
            "mode can change only on a draft with no ceremony under way or complete",
            code="conflict",
        )
    if locked.opening_key_mode != mode:
        locked.opening_key_mode = mode
        locked.save(update_fields=["opening_key_mode"])
        ledger.append(
            "trading.opening_key.mode_chosen",
            actor=actor,
            target=locked,
            data={"code": locked.code, "mode": mode},
        )
    return locked
