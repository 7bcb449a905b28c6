"""What an expert keeps up themselves: the days they cannot serve, and the ties to
organisations they declare [P12, R46]. The centre's import sets the rest of the record.

A draw reads both at once; a change made after a draw does not change its seats (the pool is
fixed with its commitment), which is why the page says so. Ledgered without the expert's
name: the entry's target is the expert's record.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.credit_code import normalise, validate_credit_code
from accounts.models import Person
from experts.models import Expert, Relationship, RelationshipKind, Unavailability
from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger

UNAVAILABLE_MAX = 50  # periods ahead, per expert
UNAVAILABLE_HORIZON = dt.timedelta(days=366)
RELATIONSHIPS_MAX = 50
NOTE_MAX_CHARS = 200


def expert_of(person: Person) -> Expert:
    expert = Expert.objects.filter(person=person).first()
    if expert is None:
        raise DomainError(
            "您的账户未关联专家库中的专家，请联系交易中心 / Your account is not linked to an expert "
            "of the library: ask the trading centre to link it",
            code="forbidden",
        )
    return expert


def _locked(person: Person) -> Expert:
    return Expert.objects.select_for_update().get(pk=expert_of(person).pk)


def unavailable_add(
    *, person: Person, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> Unavailability:
    """The expert cannot serve from ``starts_on`` to ``ends_on`` (both included)."""
    today = clock.now().date()
    if not today <= starts_on <= ends_on <= today + UNAVAILABLE_HORIZON:
        raise DomainError(
            "不可参加的日期须从今天起、结束不早于开始、一年之内 / The days you cannot serve start "
            "today or later, end on or after they start, and lie within a year",
            code="invalid",
            field="starts_on",
        )
    if len(reason) > NOTE_MAX_CHARS:
        raise DomainError(
            f"说明不得超过 {NOTE_MAX_CHARS} 字 / The note may be at most {NOTE_MAX_CHARS} "
            "characters",
            code="too_long",
            field="reason",
        )
    with transaction.atomic():
        expert = _locked(person)
        if expert.unavailable.filter(ends_on__gte=today).count() >= UNAVAILABLE_MAX:
            raise DomainError(
                f"至多登记 {UNAVAILABLE_MAX} 段不可参加的日期：请合并或删除已过去的 / At most "
                f"{UNAVAILABLE_MAX} periods ahead: merge some or remove one",
                code="too_many",
            )
        period = Unavailability.objects.create(
            expert=expert, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
        )
        ledger.append(
            "experts.profile.unavailable_added",
            actor=person,
            target=expert,
            data={"from": starts_on, "until": ends_on},
        )
    return period


def unavailable_remove(*, person: Person, pk: int) -> None:
    with transaction.atomic():
        expert = _locked(person)
        period = expert.unavailable.filter(pk=pk).first()
        if period is None:
            raise DomainError("没有这段日期 / No such period", code="not_found")
        ledger.append(
            "experts.profile.unavailable_removed",
            actor=person,
            target=expert,
            data={"from": period.starts_on, "until": period.ends_on},
        )
        period.delete()


def relationship_declare(
    *,
    person: Person,
    kind: str,
    credit_code: str,
    organisation_name: str,
    until: dt.date | None = None,
    note: str = "",
) -> Relationship:
    """The expert declares a tie to an organisation; it keeps them off its sections while it
    lasts [P12, R46]. Declarations are kept for the record, never deleted."""
    if kind not in RelationshipKind.values:
        raise DomainError("请选择关系类型 / Choose the kind of tie", code="invalid", field="kind")
    credit_code = normalise(credit_code)
    try:
        validate_credit_code(credit_code)
    except ValidationError as exc:  # bilingual, naming the rule the code breaks
        raise DomainError(" ".join(exc.messages), code="invalid", field="credit_code") from exc
    name = organisation_name.strip()
    if not name or len(name) > 200 or len(note) > NOTE_MAX_CHARS:
        raise DomainError(
            "请填写单位名称（至多 200 字），说明至多 200 字 / Write the organisation's name (at "
            "most 200 characters); the note is at most 200",
            code="invalid",
            field="organisation_name",
        )
    with transaction.atomic():
        expert = _locked(person)
        if expert.relationships.count() >= RELATIONSHIPS_MAX:
            raise DomainError(
                f"至多登记 {RELATIONSHIPS_MAX} 项关系，请联系交易中心 / At most "
                f"{RELATIONSHIPS_MAX} declared ties: ask the trading centre",
                code="too_many",
            )
        tie = Relationship.objects.create(
            expert=expert,
            kind=kind,
            credit_code=credit_code,
            organisation_name=name,
            until=until,
            note=note.strip(),
        )
        ledger.append(
            "experts.profile.relationship_declared",
            actor=person,
            target=expert,
            data={"kind": kind, "credit_code": credit_code, "until": until},
        )
    return tie
