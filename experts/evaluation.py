"""The committee's evaluation: opened by staff once the members confirmed, a leader elected,
time extended when more than a third say it is short [R48], concluded by the leader into a
report (``experts.report``), signed by every member [R53], finished into publicity.

Every change locks the section, then the evaluation (the chronograph's order), checks its
guard, writes, ledgers, and bumps the live progress (``experts.progress``). Scores,
rejections and clarifications are in ``experts.scoring``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.conf import settings
from django.db import transaction

from accounts.models import Organisation, OrganisationKind, Person, Role
from accounts.services import active_key
from experts import progress, report
from experts.draw import draw_reveal
from experts.models import (
    Criterion,
    Draw,
    DrawStatus,
    EvaluatedBid,
    Evaluation,
    EvaluationStatus,
    Member,
    MemberKind,
    SeatStatus,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.evaluation import report_message
from ggzy_core.gm import GMError, sm2
from supervision import ledger
from trading import chronograph, transitions
from trading.models import EvaluationMethod, Section, SectionStatus
from trading.signals import opened_bids

CRITERIA_MAX = 30
CRITERION_MAX_POINTS = Decimal(100)
CRITERION_MAX_WEIGHT = Decimal(10)
HOURS_MIN, HOURS_MAX = 1, 240
DISSENT_MAX_CHARS = 5_000
EVALUATED_PRICE_NAME = "评标价 / evaluated price"


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    maximum: str | Decimal
    weight: str | Decimal = Decimal(1)


def _decimal(value: str | Decimal, *, field: str, what: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise DomainError(
            f"{what}不是数字：{str(value)[:20]!r} / The {field} is not a number",
            code="invalid",
            field=field,
        ) from exc
    if not number.is_finite() or number != number.quantize(Decimal("0.01")):
        raise DomainError(
            f"{what}最多两位小数 / The {field} has at most two decimal places",
            code="invalid",
            field=field,
        )
    return number


def _criteria(
    method: str, specs: Sequence[CriterionSpec]
) -> list[tuple[str, Decimal | None, Decimal]]:
    if method == EvaluationMethod.LOWEST_PRICE:
        return [(EVALUATED_PRICE_NAME, None, Decimal(1))]
    if not 1 <= len(specs) <= CRITERIA_MAX:
        raise DomainError(
            f"综合评估法须列出 1 至 {CRITERIA_MAX} 项评分因素（现为 {len(specs)} 项）/ "
            f"Comprehensive scoring needs 1 to {CRITERIA_MAX} criteria ({len(specs)} given): "
            "list them as in the tender documents",
            code="invalid",
            field="criteria",
        )
    rows: list[tuple[str, Decimal | None, Decimal]] = []
    for spec in specs:
        name = spec.name.strip()
        maximum = _decimal(spec.maximum, field="maximum", what="满分")
        weight = _decimal(spec.weight, field="weight", what="权重")
        if not name or len(name) > 100:
            raise DomainError(
                "评分因素名称须为 1 至 100 字 / A criterion's name is 1 to 100 characters",
                code="invalid",
                field="criteria",
            )
        if not (0 < maximum <= CRITERION_MAX_POINTS and 0 < weight <= CRITERION_MAX_WEIGHT):
            raise DomainError(
                f"“{name}”的满分须在 0 至 {CRITERION_MAX_POINTS} 之间、权重在 0 至 "
                f"{CRITERION_MAX_WEIGHT} 之间 / The criterion “{name}” needs a maximum above 0 "
                f"and at most {CRITERION_MAX_POINTS}, and a weight above 0 and at most "
                f"{CRITERION_MAX_WEIGHT}",
                code="invalid",
                field="criteria",
            )
        rows.append((name, maximum, weight))
    if len({name for name, _max, _weight in rows}) != len(rows):
        raise DomainError(
            "评分因素名称不得重复 / Name each criterion once", code="invalid", field="criteria"
        )
    return rows


def _opened(section: Section) -> list[dict[str, Any]]:
    answers = opened_bids.send(sender=Section, section=section)
    return [bid for _receiver, bids in answers for bid in cast(list[dict[str, Any]], bids)]


def evaluation_open(
    *,
    draw: Draw,
    actor: Person,
    hours: int,
    criteria: Sequence[CriterionSpec] = (),
    representatives: Sequence[Person] = (),
) -> Evaluation:
    """Open the evaluation of the drawn committee: every member seat confirmed, the
    tenderee's representatives named, the criteria fixed, the opened bids copied."""
    with transaction.atomic():
        section = (
            Section.objects.select_for_update().select_related("project").get(pk=draw.section_id)
        )
        current = Draw.objects.select_for_update().get(pk=draw.pk)
        if section.status != SectionStatus.EVALUATION:
            raise DomainError(
                "标段尚未进入评标阶段（开标结束后才可评标）/ The section is not in evaluation: "
                "evaluation opens after the opening hall closes",
                code="conflict",
            )
        if Evaluation.objects.filter(section=section).exists():
            raise DomainError(
                "本标段的评标已经开始 / This section's evaluation has already been opened",
                code="conflict",
            )
        if current.status != DrawStatus.DRAWN:
            raise DomainError(
                "尚未抽取评标专家 / The committee has not been drawn yet: run the draw first",
                code="conflict",
            )
        seats = list(
            current.seats.filter(status=SeatStatus.CONFIRMED)  # members and called backups
            .select_related("expert")
            .order_by("order")
        )
        wanted = sum(need.count for need in current.needs.all())
        if len(seats) != wanted:
            raise DomainError(
                f"已确认的专家 {len(seats)} 人，应为 {wanted} 人：请等待专家答复或补抽 / "
                f"{len(seats)} of {wanted} experts have confirmed: wait for their answers "
                "(declines and timeouts call backups) or draw again",
                code="conflict",
            )
        people = list(dict.fromkeys(representatives))
        owners = {section.project.tenderee_id, section.project.agency_id}
        if len(people) != current.representatives or any(
            person.role != Role.TENDEREE
            or person.organisation_id not in owners
            or person.organisation is None
            or person.organisation.kind not in (OrganisationKind.TENDEREE, OrganisationKind.AGENCY)
            for person in people
        ):
            raise DomainError(
                f"须指定 {current.representatives} 名招标人代表（招标人或其代理机构的人员）/ "
                f"Name {current.representatives} representative(s) of the tenderee: people of "
                "the tenderee or its agency",
                code="invalid",
                field="representatives",
            )
        if not HOURS_MIN <= hours <= HOURS_MAX:
            raise DomainError(
                f"评标时间须为 {HOURS_MIN} 至 {HOURS_MAX} 小时 / The evaluation lasts "
                f"{HOURS_MIN} to {HOURS_MAX} hours",
                code="invalid",
                field="hours",
            )
        rows = _criteria(section.evaluation_method, criteria)
        bids = _opened(section)
        if not bids:
            raise DomainError(
                "没有已解密的投标文件可评审 / No decrypted bid to evaluate",
                code="conflict",
            )
        now = clock.now()
        evaluation = Evaluation.objects.create(
            section=section,
            draw=current,
            method=section.evaluation_method,
            opened_at=now,
            opened_by=actor,
            due_at=now + dt.timedelta(hours=hours),
        )
        Criterion.objects.bulk_create(
            Criterion(evaluation=evaluation, order=index, name=name, maximum=top, weight=weight)
            for index, (name, top, weight) in enumerate(rows)
        )
        _copy_bids(evaluation, bids)
        members = [
            Member(
                evaluation=evaluation,
                person=cast(Person, seat.expert.person),
                seat=seat,
                kind=MemberKind.EXPERT,
                name=seat.expert.name,
            )
            for seat in seats
        ] + [
            Member(
                evaluation=evaluation,
                person=person,
                kind=MemberKind.REPRESENTATIVE,
                name=person.display_name or person.username,
            )
            for person in people
        ]
        for index, member in enumerate(members):
            member.order = index
        Member.objects.bulk_create(members)
        ledger.append(
            "experts.evaluation.opened",
            actor=actor,
            target=evaluation,
            data={
                "section": section.code,
                "method": section.evaluation_method,
                "members": len(members),
                "bids": len(bids),
                "criteria": [[name, str(top), str(weight)] for name, top, weight in rows],
                "due_at": evaluation.due_at,
            },
        )
    return evaluation


def _copy_bids(evaluation: Evaluation, bids: list[dict[str, Any]]) -> None:
    codes = {bid["credit_code"] for bid in bids}
    organisations = {
        org.credit_code: org for org in Organisation.objects.filter(credit_code__in=codes)
    }
    EvaluatedBid.objects.bulk_create(
        EvaluatedBid(
            evaluation=evaluation,
            number=bid["number"],
            organisation=organisations[bid["credit_code"]],
            price=Decimal(bid["price"]) if bid.get("price") not in (None, "") else None,
            sheet=bid.get("sheet") or {},
            files=list(bid.get("files") or []),
        )
        for bid in sorted(bids, key=lambda item: int(item["number"]))
    )


def locked(evaluation: Evaluation | int) -> Evaluation:
    """Lock the section, then the evaluation (the chronograph's order: no deadlock)."""
    pk = evaluation if isinstance(evaluation, int) else evaluation.pk
    section_id = Evaluation.objects.values_list("section_id", flat=True).get(pk=pk)
    Section.objects.select_for_update().filter(pk=section_id).first()
    return Evaluation.objects.select_for_update().select_related("section").get(pk=pk)


def member_of(evaluation: Evaluation, person: Person) -> Member:
    member = evaluation.members.filter(person=person).first()
    if member is None:
        raise DomainError(
            "只有本评标委员会的成员可以这样做 / Only members of this committee can do this",
            code="forbidden",
        )
    return member


def require_status(evaluation: Evaluation, status: str, *, doing_zh: str, doing_en: str) -> None:
    if evaluation.status != status:
        stage = EvaluationStatus(evaluation.status).label
        raise DomainError(
            f"评标处于“{stage}”阶段，不能{doing_zh} / The evaluation is at “{evaluation.status}”: "
            f"{doing_en} is not possible now",
            code="conflict",
        )


def leader_vote(*, evaluation: Evaluation, actor: Person, candidate: Member) -> Member | None:
    """A member votes for a leader; more than half of the members' votes elect one. Returns
    the leader once elected."""
    with transaction.atomic():
        current = locked(evaluation)
        require_status(
            current, EvaluationStatus.SCORING, doing_zh="推选组长", doing_en="electing a leader"
        )
        if current.leader_id is not None:
            raise DomainError(
                "组长已选出 / The committee has elected its leader already", code="conflict"
            )
        member = member_of(current, actor)
        if candidate.evaluation_id != current.pk:
            raise DomainError(
                "候选人不是本委员会成员 / Vote for a member of this committee", code="invalid"
            )
        member.vote = candidate
        member.save(update_fields=["vote"])
        votes = current.members.filter(vote=candidate).count()
        total = current.members.count()
        ledger.append(
            "experts.evaluation.leader_voted",
            actor=actor,
            target=current,
            data={"member": member.order, "for": candidate.order},
        )
        if votes * 2 > total:
            current.leader = candidate
            current.save(update_fields=["leader"])
            ledger.append(
                "experts.evaluation.leader_elected",
                actor=ledger.SYSTEM,
                target=current,
                data={"leader": candidate.order, "votes": votes, "members": total},
            )
        progress.changed(current)
        return candidate if current.leader_id == candidate.pk else None


def time_short_say(*, evaluation: Evaluation, actor: Person, short: bool) -> bool:
    """A member says the time is (or is no longer) insufficient. When more than a third of
    the members say so, the evaluation is extended [R48] and their words start afresh.
    Returns True when this extended it."""
    with transaction.atomic():
        current = locked(evaluation)
        require_status(
            current,
            EvaluationStatus.SCORING,
            doing_zh="申请延长评标时间",
            doing_en="asking for more time",
        )
        member = member_of(current, actor)
        member.time_short = short
        member.save(update_fields=["time_short"])
        saying = current.members.filter(time_short=True).count()
        total = current.members.count()
        extended = saying * 3 > total
        if extended:
            extension = dt.timedelta(minutes=settings.EXPERT_EXTENSION_MINUTES)
            current.due_at = max(current.due_at, clock.now()) + extension
            current.extensions += 1
            current.save(update_fields=["due_at", "extensions"])
            current.members.update(time_short=False)
            ledger.append(
                "experts.evaluation.extended",
                actor=ledger.SYSTEM,
                target=current,
                data={"saying": saying, "members": total, "due_at": current.due_at},
            )
        else:
            ledger.append(
                "experts.evaluation.time_short" if short else "experts.evaluation.time_enough",
                actor=actor,
                target=current,
                data={"member": member.order},
            )
        progress.changed(current)
    return extended


def conclude(*, evaluation: Evaluation, actor: Person) -> Evaluation:
    """The leader concludes once every member submitted: the summary and the report are
    fixed, its SM3 ledgered; the members sign it next."""
    with transaction.atomic():
        current = locked(evaluation)
        require_status(
            current, EvaluationStatus.SCORING, doing_zh="汇总评标结果", doing_en="concluding"
        )
        member = member_of(current, actor)
        if current.leader_id != member.pk:
            raise DomainError(
                "由评标委员会组长汇总结果：请先推选组长 / The committee's leader concludes: elect "
                "a leader first",
                code="forbidden",
            )
        waiting = [m.order + 1 for m in current.members.filter(submitted_at__isnull=True)]
        if waiting:
            raise DomainError(
                f"还有成员未提交评分（序号 {', '.join(map(str, waiting))}）/ Members "
                f"{', '.join(map(str, waiting))} have not submitted their scores yet",
                code="conflict",
            )
        now = clock.now()
        content, summary = report.build(current, concluded_at=now)
        current.report_json = report.encode(content)
        current.report_sm3 = report.digest(content)
        current.status = EvaluationStatus.SIGNING
        current.concluded_at = now
        current.signing_due = now + dt.timedelta(minutes=settings.EXPERT_SIGNING_MINUTES)
        current.save(
            update_fields=["report_json", "report_sm3", "status", "concluded_at", "signing_due"]
        )
        flagged = {item.member for item in summary.outliers}
        current.members.filter(order__in=flagged).update(outlier=True)
        ledger.append(
            "experts.evaluation.concluded",
            actor=actor,
            target=current,
            data={
                "report_sm3": current.report_sm3,
                "candidates": summary.candidates,
                "rejected": summary.rejected,
                "signing_due": current.signing_due,
            },
        )
        for outlier in summary.outliers:
            # [R49 oversight]: regulators see which seat deviated; the name stays sealed [L37].
            ledger.append(
                "experts.evaluation.outlier",
                actor=ledger.SYSTEM,
                target=current,
                data={
                    "member": outlier.member,
                    "bid": outlier.bid,
                    "value": str(outlier.value),
                    "others": str(outlier.others),
                },
            )
        progress.changed(current)
        chronograph.reschedule(current.section)  # the signing time is a time event
    return current


def signing_key(member: Member) -> sm2.SM2PublicKey | None:
    """The key a member signs with: an expert's own, a representative's organisation's."""
    if member.kind == MemberKind.EXPERT:
        pem = member.seat.expert.public_key_pem if member.seat else ""
    else:
        organisation = member.person.organisation
        key = active_key(organisation) if organisation else None
        pem = key.public_key_pem if key else ""
    return sm2.load_public_key(pem.encode()) if pem else None


def report_sign(
    *, evaluation: Evaluation, actor: Person, agrees: bool, signature: bytes, dissent: str = ""
) -> Member:
    """A member signs the report: agreeing, or disagreeing with written reasons [R53]. The
    last signature finishes the evaluation."""
    with transaction.atomic():
        current = locked(evaluation)
        require_status(
            current,
            EvaluationStatus.SIGNING,
            doing_zh="签署评标报告",
            doing_en="signing the report",
        )
        member = Member.objects.select_related("seat__expert", "person__organisation").get(
            pk=member_of(current, actor).pk
        )
        if member.signed_at is not None:
            raise DomainError(
                "您已签署评标报告，以首次签署为准 / You have signed the report already: the first "
                "signature stands",
                code="conflict",
            )
        # A browser posts a textarea's line breaks as CRLF but signs the text it shows (LF).
        dissent = dissent.replace("\r\n", "\n").strip()
        if not agrees and not dissent:
            raise DomainError(
                "不同意评标结论须写明理由 [R53] / Disagreeing needs written reasons [R53]: write "
                "them, or sign in agreement",
                code="invalid",
                field="dissent",
            )
        if len(dissent) > DISSENT_MAX_CHARS:
            raise DomainError(
                f"理由不得超过 {DISSENT_MAX_CHARS:,} 字 / The reasons may be at most "
                f"{DISSENT_MAX_CHARS:,} characters",
                code="too_long",
                field="dissent",
            )
        key = signing_key(member)
        message = report_message(current.report_sm3, agrees=agrees, dissent=dissent)
        if key is None or not key.verify(message, signature):
            raise DomainError(
                "签名无效：请用您登记的签名密钥对报告签名（专家在“我的签名密钥”登记公钥）/ Invalid "
                "signature: sign the report with your registered signing key (experts register "
                "their public key under “my signing key”)",
                code="bad_signature",
            )
        member.agrees = agrees
        member.dissent = dissent
        member.signature = signature
        member.key_fingerprint = key.fingerprint()
        member.signed_at = clock.now()
        member.save(
            update_fields=["agrees", "dissent", "signature", "key_fingerprint", "signed_at"]
        )
        ledger.append(
            "experts.evaluation.signed",
            actor=actor,
            target=current,
            data={
                "member": member.order,
                "agrees": agrees,
                "report_sm3": current.report_sm3,
                "key": member.key_fingerprint,
            },
        )
        progress.changed(current)
        if not current.members.filter(signed_at__isnull=True).exists():
            _finish(current, actor=ledger.SYSTEM)
    return member


def signing_due(section: Section) -> dt.datetime | None:
    """For the chronograph: when the members who have not signed are deemed to agree."""
    evaluation = (
        Evaluation.objects.filter(section=section, status=EvaluationStatus.SIGNING)
        .only("signing_due")
        .first()
    )
    return evaluation.signing_due if evaluation else None


def finish_unsigned(section: Section) -> None:
    """The chronograph's event (it holds the section's lock): the signing time is over; a
    member who neither signed nor wrote reasons is deemed to agree [R53]."""
    evaluation = Evaluation.objects.select_for_update().get(section=section)
    if evaluation.status != EvaluationStatus.SIGNING:
        return
    unsigned = list(evaluation.members.filter(signed_at__isnull=True))
    for member in unsigned:
        member.deemed_agreed = True
        member.agrees = True
        member.save(update_fields=["deemed_agreed", "agrees"])
    ledger.append(
        "experts.evaluation.deemed_agreed",
        actor=ledger.SYSTEM,
        target=evaluation,
        data={
            "members": [member.order for member in unsigned],
            "report_sm3": evaluation.report_sm3,
        },
    )
    _finish(evaluation, actor=ledger.SYSTEM)


def _finish(evaluation: Evaluation, *, actor: Any) -> None:
    """Every member signed or is deemed to agree: the result is set. The names are revealed
    with the draw's secret [L37]; the section moves to publicity (no candidate: failed)."""
    now = clock.now()
    evaluation.status = EvaluationStatus.FINISHED
    evaluation.finished_at = now
    evaluation.save(update_fields=["status", "finished_at"])
    content = report.decode(evaluation)
    candidates = content["candidates"]
    signatures = report.signatures(evaluation)
    ledger.append(
        "experts.evaluation.finished",
        actor=actor,
        target=evaluation,
        data={
            "report_sm3": evaluation.report_sm3,
            "candidates": candidates,
            "signatures": signatures,
        },
    )
    draw_reveal(draw=evaluation.draw)
    section = evaluation.section
    if candidates:
        transitions.apply(
            section,
            SectionStatus.PUBLICITY,
            actor=actor,
            data={"report_sm3": evaluation.report_sm3, "candidates": candidates},
        )
    else:
        transitions.apply(
            section,
            SectionStatus.FAILED,
            actor=actor,
            reason="评标委员会否决全部投标，应重新招标 [R51] / The committee rejected every bid: "
            "the section is re-tendered [R51]",
        )
    progress.changed(evaluation)
    evaluation_id = evaluation.pk
    transaction.on_commit(lambda: report.build_pdf_later(evaluation_id))


def expert_key_bind(*, person: Person, public_key_pem: str) -> str:
    """An expert registers the SM2 public key they sign reports with; returns its
    fingerprint. The private key never reaches the platform."""
    expert = getattr(person, "expert", None)
    if expert is None:
        raise DomainError(
            "只有库内专家可以登记签名密钥 / Only experts of the library register a signing key",
            code="forbidden",
        )
    try:
        key = sm2.load_public_key(public_key_pem.strip().encode())
    except GMError as exc:
        raise DomainError(
            "不是有效的 SM2 公钥（PEM）：请上传 ggzy-bid keys new 生成的 .pub.pem 文件 / Not an "
            "SM2 public key (PEM): upload the .pub.pem file `ggzy-bid keys new` made",
            code="invalid",
            field="public_key",
        ) from exc
    with transaction.atomic():
        current = type(expert).objects.select_for_update().get(pk=expert.pk)
        current.public_key_pem = key.to_pem().decode("ascii")
        current.key_fingerprint = key.fingerprint()
        current.save(update_fields=["public_key_pem", "key_fingerprint"])
        ledger.append(
            "experts.key.bound",
            actor=person,
            target=current,
            data={"fingerprint": current.key_fingerprint},
        )
    return current.key_fingerprint
