"""The complainant's side: file a complaint [R60], add a statement, withdraw it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from realtime.models import HallObjection
from supervision.complaints import access, clocks, transitions
from supervision.complaints.models import (
    COMPLAINTS_PER_ORGANISATION_AND_SECTION_MAX,
    NOTE_MAX_CHARS,
    OBJECTION_REFERENCE_MAX_CHARS,
    REQUESTS_MAX_CHARS,
    STEPS_PER_COMPLAINT_MAX,
    TEXT_MAX_CHARS,
    Complaint,
    ComplaintStatus,
    Matter,
    StepKind,
)
from trading.models import DocumentObjection, Section, SectionStatus
from trading.rules import check_count, check_length
from trading.transitions import PUBLIC

# Sections whose evaluation has produced a result a complaint can be about [R54].
EVALUATED = frozenset(
    {
        SectionStatus.PUBLICITY,
        SectionStatus.AWARDED,
        SectionStatus.CONTRACTED,
        SectionStatus.ARCHIVED,
        SectionStatus.EVALUATION,
    }
)


@dataclass(frozen=True)
class Prior:
    """The objection a complaint follows [R60 ¶2] and the days it waited for its answer."""

    document_objection: DocumentObjection | None = None
    hall_objection: HallObjection | None = None
    reference: str = ""
    waited_days: int = 0


def _organisation_id(actor: Person) -> int:
    assert actor.organisation_id is not None  # nosec B101 # access.may_file checked it
    return actor.organisation_id


def _document_objection(section: Section, actor: Person) -> Prior:
    """[R22] An objection to the tender documents, answered or past its answer's due time."""
    page = f"/sections/{section.code}/"
    objections = DocumentObjection.objects.filter(
        section=section, organisation_id=_organisation_id(actor)
    ).order_by("-raised_at")
    if not objections.exists():
        raise DomainError(
            "对招标文件的投诉，应先向招标人提出异议 [R60]：请在标段页面"
            f"（{page}）“对招标文件提出异议”处提出（投标截止10日前 [R22]），收到答复或答复期"
            "（3日）届满后再投诉 / A complaint about the tender documents needs an objection to "
            f"the tenderee first [R60]: raise it under “Object to the tender documents” on the "
            f"section's page ({page}) until 10 days before the bid deadline [R22], then "
            "complain once it is answered or its 3 days have passed",
            code="objection_first",
            field="matter",
        )
    now = clock.now()
    for objection in objections:
        if objection.answered_at is not None or objection.answer_due <= now:
            answered_on = (
                clocks.beijing_date(objection.answered_at) if objection.answered_at else None
            )
            waited = clocks.objection_days(
                clocks.beijing_date(objection.raised_at),
                answered_on,
                clocks.beijing_date(objection.answer_due),
            )
            return Prior(document_objection=objection, waited_days=waited)
    due = min(objection.answer_due for objection in objections)
    raise DomainError(
        f"贵单位对招标文件的异议尚在答复期内（{due:%Y-%m-%d %H:%M} UTC 前答复 [R22]），请在收到"
        f"答复或答复期届满后再投诉 [R60] / Your objection to the tender documents is waiting for "
        f"its answer (due by {due:%Y-%m-%d %H:%M} UTC [R22]): complain once it is answered or "
        "that time has passed [R60]",
        code="objection_pending",
        field="matter",
    )


def _hall_objection(section: Section, actor: Person) -> Prior:
    """[R44] An objection raised in the opening hall (answered there on the spot)."""
    objection = (
        HallObjection.objects.filter(hall__section=section, organisation_id=_organisation_id(actor))
        .order_by("-raised_at")
        .first()
    )
    if objection is None:
        page = f"/halls/{section.code}/"
        raise DomainError(
            "对开标的投诉，应先在开标现场提出异议 [R60, R44]：请在网上开标大厅"
            f"（{page}）唱标、确认或异议阶段提出，主持人当场答复后再投诉 / A complaint about "
            "the opening needs an objection in the opening hall first [R60, R44]: raise it in "
            f"the online hall ({page}) during the reading, confirmation or objections stage; "
            "complain after the host's answer",
            code="objection_first",
            field="matter",
        )
    if objection.answered_at is None:
        raise DomainError(
            "贵单位在开标现场的异议尚未答复，请等待主持人答复后再投诉 [R44] / Your objection in "
            "the opening hall has not been answered yet: complain after the host answers it [R44]",
            code="objection_pending",
            field="matter",
        )
    waited = (
        clocks.beijing_date(objection.answered_at) - clocks.beijing_date(objection.raised_at)
    ).days
    return Prior(hall_objection=objection, waited_days=waited)


def _evaluation_objection(section: Section, reference: str) -> Prior:
    """[R54] The candidates' publicity objections come with issue 12; until then the
    complainant names its written objection to the tenderee (date and reference), and
    the department checks it when it decides on acceptance [R61]."""
    if section.status not in EVALUATED:
        raise DomainError(
            "评标结果尚未产生，中标候选人公示后（公示期内）可向招标人提出异议 [R54] / There is "
            "no evaluation result yet: object to the tenderee during the publicity of the "
            "candidates [R54], then complain",
            code="objection_first",
            field="matter",
        )
    check_length(
        reference,
        limit=OBJECTION_REFERENCE_MAX_CHARS,
        field="objection_reference",
        what_zh="异议编号",
        what_en="objection reference",
    )
    if not reference.strip():
        raise DomainError(
            "对评标结果的投诉，应先在中标候选人公示期间向招标人提出异议 [R60, R54]：请填写该书面"
            "异议的日期和编号 / A complaint about the evaluation result needs an objection to "
            "the tenderee during the candidates' publicity first [R60, R54]: give that written "
            "objection's date and reference",
            code="objection_first",
            field="objection_reference",
        )
    return Prior(reference=reference.strip())


def _prior(section: Section, actor: Person, matter: str, reference: str) -> Prior:
    """The objection the law asks for first [R60 ¶2], or none for other matters."""
    if matter == Matter.TENDER_DOCUMENTS:
        return _document_objection(section, actor)
    if matter == Matter.OPENING:
        return _hall_objection(section, actor)
    if matter == Matter.EVALUATION_RESULT:
        return _evaluation_objection(section, reference)
    return Prior()


def _check_in_time(knew_on: dt.date, prior: Prior) -> None:
    """[R60] within 10 days of knowing (clocks.py says how the days count)."""
    today = clocks.today()
    if knew_on > today:
        raise DomainError(
            "知道投诉事项的日期不能晚于今天 / The day you knew of the matter cannot be after today",
            code="invalid",
            field="knew_on",
        )
    last = clocks.filing_last_day(knew_on, objection_days=prior.waited_days)
    if today > last:
        raise DomainError(
            f"投诉应在知道或应当知道之日起10日内提出 [R60]，本投诉最迟应于 {last:%Y-%m-%d}（北京时间）"
            "提出，已逾期，监督部门不予受理；可另以举报方式反映 / A complaint is filed within 10 "
            f"days of knowing of the matter [R60]: the last day for this one was {last:%Y-%m-%d} "
            "(Beijing): it is late and would not be accepted; you may still report the matter "
            "to the supervising department as a tip-off",
            code="late",
            field="knew_on",
        )


@transaction.atomic
def complaint_file(
    *,
    section: Section,
    actor: Person,
    matter: str,
    knew_on: dt.date,
    text: str,
    requests: str,
    objection_reference: str = "",
) -> Complaint:
    """A bidder or other interested party complains to the supervising department [R60]."""
    if not access.may_file(actor):
        raise DomainError(
            "投诉由投标人或其他利害关系人以单位账号提出 [R60] / Complaints are filed by bidders "
            "and other interested parties, signed in with their company's account [R60]",
            code="forbidden",
        )
    if matter not in Matter.values:
        raise DomainError(
            "请选择投诉事项 / Choose what the complaint is about", code="invalid", field="matter"
        )
    check_length(
        text,
        limit=TEXT_MAX_CHARS,
        field="text",
        what_zh="事实和理由",
        what_en="facts and grounds",
        required=True,
    )
    check_length(
        requests,
        limit=REQUESTS_MAX_CHARS,
        field="requests",
        what_zh="投诉请求",
        what_en="requests",
        required=True,
    )
    locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
    if locked.status not in PUBLIC:
        raise DomainError(
            "标段尚未发布，无可投诉事项 / The section is not published: there is nothing to "
            "complain about yet",
            code="conflict",
        )
    check_count(  # counted under the section's lock
        Complaint.objects.filter(section=locked, complainant_id=_organisation_id(actor)).count(),
        limit=COMPLAINTS_PER_ORGANISATION_AND_SECTION_MAX,
        field=None,
        what_zh="本单位对本标段的投诉",
        what_en="complaints per company about this section",
        next_zh="，请在已有投诉中补充陈述",
        next_en=": add a statement to one you filed",
    )
    prior = _prior(locked, actor, matter, objection_reference)
    _check_in_time(knew_on, prior)
    now = clock.now()
    received_on = clocks.today()
    complaint = Complaint.objects.create(
        section=locked,
        number="",
        complainant_id=_organisation_id(actor),
        filed_by=actor,
        matter=matter,
        document_objection=prior.document_objection,
        hall_objection=prior.hall_objection,
        objection_reference=prior.reference,
        knew_on=knew_on,
        text=text,
        requests=requests,
        filed_at=now,
        filed_before_deadline=now < locked.bid_deadline,
        received_on=received_on,
        acceptance_due=clocks.acceptance_due(received_on),  # [R61]
    )
    # A platform-wide number: a per-section count would tell how many complained there.
    complaint.number = f"TS{received_on:%Y}{complaint.pk:06d}"
    complaint.urgency = clocks.urgency_of(complaint.acceptance_due, received_on)
    complaint.save(update_fields=["number", "urgency"])
    transitions.record(
        complaint,
        kind=StepKind.FILED,
        actor=actor,
        source="",
        by_complainant=True,
        data={
            "matter": matter,
            "complainant": actor.organisation.credit_code if actor.organisation else "",
            "knew_on": knew_on,
            "acceptance_due": complaint.acceptance_due,
            "objection": prior.document_objection.pk
            if prior.document_objection
            else prior.hall_objection.pk
            if prior.hall_objection
            else prior.reference,
        },
    )
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update()
        .select_related("section__project")
        .get(pk=complaint.pk)
    )


@transaction.atomic
def statement_add(*, complaint: Complaint, actor: Person, text: str) -> Complaint:
    """The complainant, or the tenderee/agency complained about, adds a statement (facts,
    a defence, more grounds) while the complaint is open."""
    locked = _locked(complaint)
    by_complainant = access.is_complainant(actor, locked)
    if not (by_complainant or access.is_respondent(actor, locked)):
        raise DomainError(
            "只有投诉人和被投诉的招标人/代理机构可以补充陈述 / Only the complainant and the "
            "tenderee or agency complained about may add a statement",
            code="forbidden",
        )
    transitions.require_open(locked)
    check_length(
        text,
        limit=NOTE_MAX_CHARS,
        field="text",
        what_zh="陈述",
        what_en="statement",
        required=True,
    )
    check_count(
        locked.steps.count(),
        limit=STEPS_PER_COMPLAINT_MAX,
        field="text",
        what_zh="本投诉的记录",
        what_en="steps of this complaint",
        next_zh="，请联系监督部门",
        next_en=": contact the supervising department",
    )
    transitions.record(
        locked, kind=StepKind.STATEMENT, actor=actor, note=text, by_complainant=by_complainant
    )
    return locked


@transaction.atomic
def complaint_withdraw(*, complaint: Complaint, actor: Person, reason: str) -> Complaint:
    """The complainant withdraws before the decision, in writing with its reasons [R63].
    The department may still look into the matter on its own authority; a section this
    complaint suspended stays suspended until the department resumes it."""
    locked = _locked(complaint)
    if not access.is_complainant(actor, locked):
        raise DomainError(
            "只有投诉人可以撤回投诉 / Only the complainant may withdraw its complaint",
            code="forbidden",
        )
    check_length(
        reason,
        limit=NOTE_MAX_CHARS,
        field="reason",
        what_zh="撤回理由",
        what_en="reason",
        required=True,
    )
    transitions.require_open(locked)
    if locked.status == ComplaintStatus.EVIDENCE and locked.paused_on is not None:
        locked.paused_workdays += clocks.paused_workdays(locked.paused_on, clocks.today())
        locked.paused_on = None
    transitions.move(
        locked,
        ComplaintStatus.WITHDRAWN,
        kind=StepKind.WITHDRAWN,
        actor=actor,
        note=reason,
        by_complainant=True,
        fields=("paused_on", "paused_workdays"),
    )
    return locked
