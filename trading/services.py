"""Section services: create, publish, cancel, suspend and resume. Each is atomic, locked,
guarded, ledgered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Organisation, OrganisationKind, Person, Role
from ggzy import beijing_time, clock
from ggzy.errors import DomainError
from ggzy_core.gm.envelope import sheet
from supervision import ledger
from trading import ceremony, chronograph, opening_key, transitions
from trading.models import (
    DEFAULT_READ_ITEMS,
    Category,
    OpeningKeyMode,
    Project,
    Section,
    SectionStatus,
)
from trading.rules import (
    DEPOSIT_MAX_RATE,
    DOCUMENT_PERIOD_MIN,
    EVALUATION_CRITERIA_MAX_CHARS,
    NAME_MAX_CHARS,
    PROJECT_CODE_MAX_CHARS,
    REASON_MAX_CHARS,
    SUSPENSION_REASON_MAX_CHARS,
    WORKS_DEPOSIT_CAP,
    check_length,
)

READABLE_ITEMS = frozenset(sheet.KNOWN_ITEMS)


def _require_kind(organisation: Organisation, kind: str, field: str) -> None:
    if organisation.kind != kind:
        raise DomainError(
            f"{organisation.name} 不是{OrganisationKind(kind).label} / "
            f"{organisation.name} is not a {kind}",
            code="invalid",
            field=field,
        )


@transaction.atomic
def project_create(
    *,
    actor: Person,
    code: str,
    name: str,
    centre: Organisation,
    regulator: Organisation,
    tenderee: Organisation | None = None,
) -> Project:
    """A tenderee creates its own project; an agency creates one for the tenderee it names."""
    check_length(
        code, limit=PROJECT_CODE_MAX_CHARS, field="code", what_zh="项目编号", what_en="project code"
    )
    check_length(
        name, limit=NAME_MAX_CHARS, field="name", what_zh="项目名称", what_en="project name"
    )
    organisation = actor.organisation
    if organisation is None or organisation.kind not in (
        OrganisationKind.TENDEREE,
        OrganisationKind.AGENCY,
    ):
        raise DomainError(
            "只有招标人或代理机构可以创建项目 / Only a tenderee or agency creates projects",
            code="forbidden",
        )
    agency = None
    if organisation.kind == OrganisationKind.AGENCY:
        if tenderee is None:
            raise DomainError(
                "代理机构须指明招标人 / An agency must name the tenderee",
                code="invalid",
                field="tenderee",
            )
        _require_kind(tenderee, OrganisationKind.TENDEREE, "tenderee")
        agency = organisation
    else:
        tenderee = organisation
    _require_kind(centre, OrganisationKind.CENTRE, "centre")
    _require_kind(regulator, OrganisationKind.REGULATOR, "regulator")
    if Project.objects.filter(code=code).exists():
        raise DomainError(
            "项目编号已存在 / This project code exists", code="duplicate", field="code"
        )
    project = Project.objects.create(
        code=code,
        name=name,
        tenderee=tenderee,
        agency=agency,
        centre=centre,
        regulator=regulator,
        created_at=clock.now(),
        created_by=actor,
    )
    ledger.append(
        "trading.project.created",
        actor=actor,
        target=project,
        data={"code": code, "name": name, "tenderee": tenderee.credit_code},
    )
    return project


def check_deposit(*, category: str, estimated_price: Decimal, bid_deposit: Decimal) -> None:
    """[R26] ≤ 2% of the estimated price; works tenders also ≤ 800,000 yuan."""
    if bid_deposit < 0:
        raise DomainError(
            "保证金不能为负 / The deposit cannot be negative", code="invalid", field="bid_deposit"
        )
    ceiling = (estimated_price * DEPOSIT_MAX_RATE).quantize(Decimal("0.01"))
    if bid_deposit > ceiling:
        raise DomainError(
            f"投标保证金不得超过估算价的2%（{ceiling}元）[R26] / "
            f"The bid deposit may not exceed 2% of the estimated price ({ceiling} yuan) [R26]",
            code="invalid",
            field="bid_deposit",
        )
    if category == Category.WORKS and bid_deposit > WORKS_DEPOSIT_CAP:
        raise DomainError(
            "施工招标投标保证金最高不得超过80万元 [R26] / "
            "A works tender's deposit may not exceed 800,000 yuan [R26]",
            code="invalid",
            field="bid_deposit",
        )


@transaction.atomic
def section_create(*, project: Project, actor: Person, **fields: Any) -> Section:
    """A draft section. ``fields`` are the Section's own (name, category, prices, timetable…)."""
    fields.setdefault("read_items", list(DEFAULT_READ_ITEMS))
    check_length(
        str(fields.get("name", "")),
        limit=NAME_MAX_CHARS,
        field="name",
        what_zh="标段名称",
        what_en="section name",
    )
    check_length(
        str(fields.get("evaluation_criteria", "")),
        limit=EVALUATION_CRITERIA_MAX_CHARS,
        field="evaluation_criteria",
        what_zh="评标办法说明",
        what_en="evaluation criteria",
    )
    unknown = set(fields["read_items"]) - READABLE_ITEMS
    if unknown:
        raise DomainError(
            f"不能唱标的项目：{', '.join(sorted(unknown))}；可唱标的项目为 "
            f"{', '.join(sheet.KNOWN_ITEMS)} / Items that cannot be read out: "
            f"{', '.join(sorted(unknown))}; the items that can are {', '.join(sheet.KNOWN_ITEMS)}",
            code="invalid",
            field="read_items",
        )
    if fields["estimated_price"] <= 0:
        raise DomainError(
            "估算价必须大于0 / The estimated price must be positive",
            code="invalid",
            field="estimated_price",
        )
    check_deposit(
        category=fields["category"],
        estimated_price=fields["estimated_price"],
        bid_deposit=fields.get("bid_deposit", Decimal("0")),
    )
    locked = Project.objects.select_for_update().get(pk=project.pk)
    number = locked.sections.count() + 1
    section = Section.objects.create(
        project=locked, code=f"{locked.code}-{number:02d}", created_at=clock.now(), **fields
    )
    ledger.seal(section.embargo_scope, until=section.bid_deadline)  # [E21, E27]
    ledger.append(
        "trading.section.created",
        actor=actor,
        target=section,
        data={
            "code": section.code,
            "name": section.name,
            "estimated_price": section.estimated_price,
        },
    )
    return section


def check_document_period(*, documents_from: dt.datetime, bid_deadline: dt.datetime) -> None:
    """[L24] at least 20 days from issuing the documents to the deadline."""
    if bid_deadline - documents_from < DOCUMENT_PERIOD_MIN:
        earliest = documents_from + DOCUMENT_PERIOD_MIN
        raise DomainError(
            "自招标文件开始发出之日起至投标截止不得少于20日 [L24]，截止时间最早为 "
            f"{beijing_time.both(earliest)[0]} / At least 20 days from issuing the tender "
            f"documents to the bid deadline [L24]: the deadline can be "
            f"{beijing_time.both(earliest)[1]} at the "
            "earliest",
            code="invalid",
            field="bid_deadline",
        )


@transaction.atomic
def section_publish(*, section: Section, actor: Person) -> Section:
    """Publish the announcement and documents. The opening key is the one its holders
    generated in the ceremony (trading/ceremony.py: refused until it is complete), or, in the
    dealt fallback, made and split now (trading/opening_key.py)."""
    locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
    if locked.status != SectionStatus.DRAFT:
        raise DomainError("只有草稿可以发布 / Only a draft can be published", code="conflict")
    if not locked.documents.exists():
        raise DomainError(
            "发布前请上传招标文件 / Upload the tender documents before publishing",
            code="invalid",
        )
    now = clock.now()
    issued_from = max(locked.documents_from, now)
    check_document_period(documents_from=issued_from, bid_deadline=locked.bid_deadline)
    if locked.opening_key_mode == OpeningKeyMode.DKG:
        # The holders generated the key among themselves: nothing to deal (docs/envelope.md).
        refusal = ceremony.publication_refusal(locked)
        if refusal is not None:
            raise DomainError(refusal, code="conflict")
        holder_fingerprints = list(
            locked.key_shares.order_by("index").values_list("holder_key_fingerprint", flat=True)
        )
    else:
        holder_fingerprints = [key.fingerprint for key in opening_key.create_opening_key(locked)]
    locked.published_at = now
    locked.save(update_fields=["published_at"])
    ledger.seal(locked.embargo_scope, until=locked.bid_deadline)  # [E21, E27]
    transitions.apply(
        locked,
        SectionStatus.PUBLISHED,
        actor=actor,
        data={
            "opening_key": locked.opening_key_fingerprint,
            "opening_key_mode": locked.opening_key_mode,
            "share_holders": holder_fingerprints,
            "bid_deadline": locked.bid_deadline,
        },
    )
    chronograph.reschedule(locked)
    return locked


@transaction.atomic
def section_cancel(*, section: Section, actor: Person, reason: str) -> Section:
    check_length(reason, limit=REASON_MAX_CHARS, field="reason", what_zh="原因", what_en="reason")
    locked = Section.objects.select_for_update().get(pk=section.pk)
    transitions.apply(locked, SectionStatus.CANCELLED, actor=actor, reason=reason)
    chronograph.reschedule(locked)
    return locked


# Statuses in which nothing is left to suspend: the tender is over.
NOT_SUSPENDABLE = frozenset(
    {
        SectionStatus.DRAFT,
        SectionStatus.CONTRACTED,
        SectionStatus.ARCHIVED,
        SectionStatus.FAILED,
        SectionStatus.CANCELLED,
    }
)


def _require_regulator(section: Section, actor: Person) -> None:
    if not (
        actor.is_active
        and actor.role == Role.REGULATOR
        and actor.organisation_id == section.project.regulator_id
    ):
        raise DomainError(
            "只有本项目的行政监督部门可以暂停或恢复标段 [R62] / Only the project's supervising "
            "department suspends or resumes a section [R62]",
            code="forbidden",
        )


@transaction.atomic
def section_suspend(*, section: Section, actor: Person, reason: str) -> Section:
    """The supervising department suspends the section while it handles a complaint [R62]:
    no status moves but cancellation (transitions.apply), no time events (the
    chronograph), no stage advance in the opening hall, until ``section_resume``."""
    check_length(
        reason,
        limit=SUSPENSION_REASON_MAX_CHARS,
        field="reason",
        what_zh="暂停原因",
        what_en="reason for the suspension",
        required=True,
    )
    locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
    _require_regulator(locked, actor)
    if locked.suspended_at is not None:
        raise DomainError(
            f"标段已于 {beijing_time.both(locked.suspended_at)[0]} 暂停"
            f"（{locked.suspended_reason}），如需改变原因请先恢复 / The section has been suspended "
            f"since {beijing_time.both(locked.suspended_at)[1]} ({locked.suspended_reason}): "
            "resume it "
            "first to suspend it for another reason",
            code="conflict",
        )
    if locked.status in NOT_SUSPENDABLE:
        raise DomainError(
            f"标段处于“{SectionStatus(locked.status).label}”，无可暂停的活动 / The section is "
            f"{locked.status}: there is no activity left to suspend",
            code="conflict",
        )
    locked.suspended_at = clock.now()
    locked.suspended_reason = reason
    locked.save(update_fields=["suspended_at", "suspended_reason"])
    ledger.append(
        "trading.section.suspended",
        actor=actor,
        target=locked,
        data={"code": locked.code, "status": locked.status, "reason": reason},
    )
    chronograph.reschedule(locked)  # holds its time events: next_check becomes None
    return locked


@transaction.atomic
def section_resume(*, section: Section, actor: Person, note: str = "") -> Section:
    """The department lifts the suspension; time events that fell due meanwhile are applied
    by the next tick (the chronograph's bookmark is set again)."""
    check_length(
        note, limit=SUSPENSION_REASON_MAX_CHARS, field="note", what_zh="说明", what_en="note"
    )
    locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
    _require_regulator(locked, actor)
    if locked.suspended_at is None:
        raise DomainError(
            "标段未被暂停，无需恢复；请刷新页面查看标段当前状态 / The section is not suspended: "
            "there is nothing to resume; reload the page to see where it stands",
            code="conflict",
        )
    since = locked.suspended_at
    locked.suspended_at = None
    locked.suspended_reason = ""
    locked.save(update_fields=["suspended_at", "suspended_reason"])
    ledger.append(
        "trading.section.resumed",
        actor=actor,
        target=locked,
        data={"code": locked.code, "status": locked.status, "since": since, "note": note},
    )
    chronograph.reschedule(locked)
    return locked
