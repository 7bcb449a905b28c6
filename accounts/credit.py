"""Credit records (信用记录): entering, revoking and correcting them, and the lookups the
draw, the hall, the evaluation and the public dishonest list use (docs/credit.md).

A record is never edited or deleted. A regulator revokes it with a reason; a correction
revokes it and enters its replacement in one transaction. Each step is one ledger entry,
which carries the SM3 of the reason rather than the text (a person's record is personal
data; the digest still makes a silent change detectable).

Who may call what is accounts.credit_access's decision; the services check the actor's
role again, so a command or a future API cannot skip it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    CreditBar,
    CreditKind,
    CreditRecord,
    CreditSource,
    Organisation,
    Person,
    Role,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING
from supervision import ledger

# The period a record runs when the decision states none (docs/credit.md, "Periods"):
# bidding bans run one to two years [L53, L54, R67] or one to three [R68] as the decision
# says; the publication of penalty information and the lists of seriously dishonest
# subjects run three years at most under the national credit-repair rules, one for
# general bad behaviour; a people's court lists a judgment debtor for two years.
DEFAULT_YEARS: dict[str, int] = {
    CreditKind.PENALTY: 3,
    CreditKind.BAD_BEHAVIOUR: 1,
    CreditKind.DISHONEST: 3,
}
COURT_YEARS = 2
MAX_YEARS = 10  # a lifelong bar [L56, R72] is the expert library's "removed", not a record
# Kinds published by default when the subject is an organisation [R79]: the supervising
# departments publish their decisions; bad behaviour stays internal unless they choose.
PUBLIC_BY_DEFAULT = frozenset({CreditKind.PENALTY, CreditKind.DISHONEST})
TEXT_LIMITS = {"authority": 200, "decision_number": 100, "reason": 2000}
REVOKE_REASON_MAX = 500


class CreditState:
    IN_FORCE = "in_force"
    PENDING = "pending"  # decided, not yet in force
    EXPIRED = "expired"
    REVOKED = "revoked"


STATE_LABELS = {
    CreditState.IN_FORCE: _("In force"),
    CreditState.PENDING: _("Not yet in force"),
    CreditState.EXPIRED: _("Expired"),
    CreditState.REVOKED: _("Revoked"),
}


@dataclass(frozen=True)
class Entry:
    """What a regulator enters (or a file row says). Blank ``starts_on`` is the decision
    day; blank ``ends_on`` the default period; ``public`` None the default for the kind."""

    kind: str
    bars: str
    source: str
    authority: str
    decision_number: str
    decided_on: dt.date
    reason: str
    organisation: Organisation | None = None
    person: Person | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    public: bool | None = None


def today() -> dt.date:
    """Beijing's date now: periods are calendar days in Beijing."""
    return clock.now().astimezone(BEIJING).date()


def _midnight_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=BEIJING)


def years_after(start: dt.date, years: int) -> dt.date:
    """The last day of a period of ``years`` starting on ``start`` (29 February → 28th)."""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:
        end = start.replace(year=start.year + years, day=28)
    return end - dt.timedelta(days=1)


def default_end(*, kind: str, source: str, starts_on: dt.date) -> dt.date:
    years = COURT_YEARS if source == CreditSource.COURT else DEFAULT_YEARS.get(kind, 1)
    return years_after(starts_on, years)


def state(record: CreditRecord, on: dt.date | None = None) -> str:
    day = on or today()
    if record.revoked_at is not None and record.revoked_at < _midnight_after(day):
        return CreditState.REVOKED
    if day < record.starts_on:
        return CreditState.PENDING
    if day > record.ends_on:
        return CreditState.EXPIRED
    return CreditState.IN_FORCE


# --- Lookups -------------------------------------------------------------------------------


def in_force(on: dt.date | None = None) -> QuerySet[CreditRecord]:
    """Records in force on ``on`` (today): in their period and not revoked by its end. A
    record revoked during a day is no longer in force that day."""
    day = on or today()
    return CreditRecord.objects.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gte=_midnight_after(day)),
        starts_on__lte=day,
        ends_on__gte=day,
    )


def in_state(
    records: QuerySet[CreditRecord], wanted: str, *, on: dt.date | None = None
) -> QuerySet[CreditRecord]:
    """``records`` narrowed to one state (``CreditState``) on ``on`` (today)."""
    day = on or today()
    revoked = Q(revoked_at__lt=_midnight_after(day))
    if wanted == CreditState.IN_FORCE:
        return records.filter(pk__in=in_force(day).values("pk"))
    if wanted == CreditState.REVOKED:
        return records.filter(revoked)
    if wanted == CreditState.PENDING:
        return records.exclude(revoked).filter(starts_on__gt=day)
    if wanted == CreditState.EXPIRED:
        return records.exclude(revoked).filter(ends_on__lt=day)
    return records


def in_force_of_organisation(
    organisation: Organisation, *, on: dt.date | None = None
) -> list[CreditRecord]:
    return list(in_force(on).filter(organisation=organisation).order_by("-decided_on", "-pk"))


def in_force_of_person(person: Person, *, on: dt.date | None = None) -> list[CreditRecord]:
    return list(in_force(on).filter(person=person).order_by("-decided_on", "-pk"))


def in_force_of_organisations(
    organisation_ids: Iterable[int], *, on: dt.date | None = None
) -> dict[int, list[CreditRecord]]:
    """Each organisation's records in force, in one query (the hall, the evaluation)."""
    found: dict[int, list[CreditRecord]] = defaultdict(list)
    for record in (
        in_force(on)
        .filter(organisation_id__in=list(organisation_ids))
        .order_by("-decided_on", "-pk")
    ):
        assert record.organisation_id is not None  # nosec B101 # filtered on it
        found[record.organisation_id].append(record)
    return dict(found)


def barred_from_evaluating(*, on: dt.date) -> dict[int, CreditRecord]:
    """Person id → the record that bars them from evaluation committees on ``on`` [R71,
    R72, P12] (the latest decision when several do)."""
    barred: dict[int, CreditRecord] = {}
    for record in in_force(on).filter(bars=CreditBar.EVALUATING).order_by("decided_on", "pk"):
        assert record.person_id is not None  # nosec B101 # only persons are barred so
        barred[record.person_id] = record
    return barred


def dishonest_list(*, on: dt.date | None = None, query: str = "") -> QuerySet[CreditRecord]:
    """The public list: organisations' published records in force [R79]. ``query`` matches
    the organisation's name or credit code."""
    records = (
        in_force(on)
        .filter(public=True, organisation__isnull=False)
        .select_related("organisation")
        .order_by("-decided_on", "-pk")
    )
    query = query.strip()[:100]
    if query:
        records = records.filter(
            Q(organisation__name__icontains=query) | Q(organisation__credit_code=query.upper())
        )
    return records


# --- Changes -------------------------------------------------------------------------------


def _require_regulator(actor: Person) -> None:
    # Records are the supervising departments' decisions [R79]; a platform superuser is
    # not one (docs/credit.md, "Who").
    if not actor.is_active or actor.role != Role.REGULATOR:
        raise DomainError(
            "只有行政监督部门人员可以录入或撤销信用记录 / Only a supervising department's people "
            "enter or revoke credit records: ask the regulator",
            code="forbidden",
        )


def checked(entry: Entry) -> dict[str, Any]:
    """The record's fields from ``entry``, defaults applied; a DomainError naming the field
    at fault otherwise (the import names the row and the column with it)."""
    if (entry.organisation is None) == (entry.person is None):
        raise DomainError(
            "信用记录的对象须为一个机构或一个人 / A record is about exactly one organisation or "
            "one person: name one",
            code="invalid",
            field="subject",
        )
    if entry.kind not in CreditKind.values:
        raise DomainError(
            f"记录类别 {entry.kind[:20]!r} 无效 / kind {entry.kind[:20]!r}: one of "
            + ", ".join(CreditKind.values),
            code="invalid",
            field="kind",
        )
    if entry.source not in CreditSource.values:
        raise DomainError(
            f"来源 {entry.source[:20]!r} 无效 / source {entry.source[:20]!r}: one of "
            + ", ".join(CreditSource.values),
            code="invalid",
            field="source",
        )
    _check_bar(entry)
    text = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(getattr(entry, name)).strip()
        if not value or len(value) > limit:
            raise DomainError(
                f"{name} 必填，至多 {limit} 字 / {name}: required, at most {limit} characters",
                code="invalid",
                field=name,
            )
        text[name] = value
    starts_on, ends_on = _period(entry)
    public = entry.public
    if public is None:
        public = entry.organisation is not None and entry.kind in PUBLIC_BY_DEFAULT
    if public and entry.person is not None:
        raise DomainError(
            "个人的信用记录不公开（个人信息） / A person's record is never published (personal "
            "data): untick “public”",
            code="invalid",
            field="public",
        )
    return {
        "organisation": entry.organisation,
        "person": entry.person,
        "kind": entry.kind,
        "bars": entry.bars,
        "source": entry.source,
        **text,
        "decided_on": entry.decided_on,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "public": public,
    }


def _check_bar(entry: Entry) -> None:
    if entry.bars not in CreditBar.values:
        raise DomainError(
            f"限制 {entry.bars[:20]!r} 无效 / bars {entry.bars[:20]!r}: one of "
            + ", ".join(CreditBar.values),
            code="invalid",
            field="bars",
        )
    if entry.bars == CreditBar.BIDDING and entry.organisation is None:
        raise DomainError(
            "限制投标只适用于机构 [R67, R68] / Only an organisation is barred from bidding "
            "[R67, R68]: choose the organisation, or bar the person from evaluating",
            code="invalid",
            field="bars",
        )
    if entry.bars == CreditBar.EVALUATING and entry.person is None:
        raise DomainError(
            "限制担任评标专家只适用于个人 [R71] / Only a person is barred from evaluating "
            "[R71]: choose the person (the expert's account)",
            code="invalid",
            field="bars",
        )


def _period(entry: Entry) -> tuple[dt.date, dt.date]:
    if entry.decided_on > today():
        raise DomainError(
            "决定日期不能晚于今天 / The decision date is in the future: enter it once decided",
            code="invalid",
            field="decided_on",
        )
    starts_on = entry.starts_on or entry.decided_on
    if starts_on < entry.decided_on:
        raise DomainError(
            "生效日期不能早于决定日期 / A record cannot be in force before its decision: start "
            "it on the decision date or later",
            code="invalid",
            field="starts_on",
        )
    ends_on = entry.ends_on or default_end(
        kind=entry.kind, source=entry.source, starts_on=starts_on
    )
    if ends_on < starts_on or ends_on > years_after(starts_on, MAX_YEARS):
        raise DomainError(
            f"截止日期须在生效日期之后 {MAX_YEARS} 年以内 / The end date is after the start and "
            f"within {MAX_YEARS} years of it (a lifelong bar is the expert library's “removed”)",
            code="invalid",
            field="ends_on",
        )
    return starts_on, ends_on


def _duplicate(values: dict[str, Any]) -> bool:
    return CreditRecord.objects.filter(
        organisation=values["organisation"],
        person=values["person"],
        authority=values["authority"],
        decision_number=values["decision_number"],
        revoked_at__isnull=True,
    ).exists()


def _refuse_duplicate(values: dict[str, Any]) -> None:
    if _duplicate(values):
        raise DomainError(
            f"{values['authority']} 的决定 {values['decision_number']} 已有同一对象的记录 / "
            f"Decision {values['decision_number']} of {values['authority']} is already on "
            "record for this subject: correct that record instead",
            code="duplicate",
            field="decision_number",
        )


def _ledger_data(record: CreditRecord) -> dict[str, Any]:
    """What the ledger keeps: the subject by its credit code or username (never a name or
    an ID number), the decision and the period, and the reason's SM3."""
    subject = (
        {"organisation": record.organisation.credit_code}
        if record.organisation is not None
        else {"person": record.person.username if record.person else ""}
    )
    return {
        **subject,
        "kind": record.kind,
        "bars": record.bars,
        "source": record.source,
        "authority": record.authority,
        "decision_number": record.decision_number,
        "decided_on": record.decided_on,
        "starts_on": record.starts_on,
        "ends_on": record.ends_on,
        "public": record.public,
        "reason_sm3": sm3_hex(record.reason.encode()),
        "import_sm3": record.import_sm3,
        "corrects": record.corrects_id,
    }


def record_enter(
    *, entry: Entry, actor: Person, corrects: CreditRecord | None = None, import_sm3: str = ""
) -> CreditRecord:
    """Enter a record (a regulator); ledgered as ``credit.record.entered``."""
    _require_regulator(actor)
    values = checked(entry)
    with transaction.atomic():
        _refuse_duplicate(values)
        record = CreditRecord.objects.create(
            **values,
            entered_by=actor,
            entered_at=clock.now(),
            corrects=corrects,
            import_sm3=import_sm3,
        )
        ledger.append(
            "credit.record.entered", actor=actor, target=record, data=_ledger_data(record)
        )
    return record


def record_revoke(*, record: CreditRecord, reason: str, actor: Person) -> CreditRecord:
    """Revoke a record (a regulator of the department that entered it), with a reason:
    ledgered as ``credit.record.revoked``. It stops being in force the same day."""
    _require_regulator(actor)
    reason = reason.strip()
    if not reason or len(reason) > REVOKE_REASON_MAX:
        raise DomainError(
            f"请写明撤销理由（至多 {REVOKE_REASON_MAX} 字） / Write why the record is revoked "
            f"(at most {REVOKE_REASON_MAX} characters)",
            code="invalid",
            field="reason",
        )
    with transaction.atomic():
        locked = (
            CreditRecord.objects.select_for_update().select_related("entered_by").get(pk=record.pk)
        )
        if locked.revoked_at is not None:
            raise DomainError(
                "该记录已撤销 / The record is revoked already: nothing to do",
                code="conflict",
            )
        if locked.entered_by.organisation_id != actor.organisation_id:
            raise DomainError(
                "只能撤销本部门录入的记录 / Only the department that entered a record revokes "
                "it: ask that department",
                code="forbidden",
            )
        locked.revoked_at = clock.now()
        locked.revoked_by = actor
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        ledger.append(
            "credit.record.revoked",
            actor=actor,
            target=locked,
            data={"reason": reason, "decision_number": locked.decision_number},
        )
    return locked


def record_correct(
    *, record: CreditRecord, reason: str, entry: Entry, actor: Person
) -> CreditRecord:
    """A correction: revoke ``record`` with ``reason`` and enter ``entry`` in its place,
    both or neither. The new record names the one it corrects."""
    with transaction.atomic():
        revoked = record_revoke(record=record, reason=reason, actor=actor)
        return record_enter(entry=entry, actor=actor, corrects=revoked)


def records_import(
    *, entries: Sequence[tuple[int, Entry]], actor: Person, file_name: str, file_sm3: str
) -> int:
    """Enter every checked row of a file in one transaction (accounts.credit_import has
    checked them); a row already on record is skipped. Returns how many were entered."""
    _require_regulator(actor)
    now = clock.now()
    with transaction.atomic():
        records = []
        for _line, entry in entries:
            values = checked(entry)
            if _duplicate(values):
                continue
            records.append(
                CreditRecord(**values, entered_by=actor, entered_at=now, import_sm3=file_sm3)
            )
        created = CreditRecord.objects.bulk_create(records)
        ledger.append_many(
            [
                ledger.Pending(
                    "credit.record.entered", actor=actor, target=record, data=_ledger_data(record)
                )
                for record in created
            ]
            + [
                ledger.Pending(
                    "credit.records.imported",
                    actor=actor,
                    data={
                        "file": file_name[:200],
                        "sm3": file_sm3,
                        "entered": len(created),
                        "already": len(entries) - len(created),
                    },
                )
            ]
        )
    return len(created)
