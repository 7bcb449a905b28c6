"""The award stage's time events, through the one chronograph (award/receivers.py registers
them): an objection left unanswered past its 3 days [R54], and a contract not recorded
within 30 days of the award notice [L46]. Each tells the people who must act, once; a late
or repeated tick finds nothing left to tell."""

from __future__ import annotations

import datetime as dt

from django.db.models import Min

from award.models import Award, AwardStatus, ResultObjection
from ggzy import clock
from ggzy_core.times import BEIJING
from supervision import ledger
from trading.models import Notification, Section


def objection_overdue_due(section: Section) -> dt.datetime | None:
    """When the first unanswered objection not yet reported falls overdue."""
    moment = ResultObjection.objects.filter(
        section=section, answered_at__isnull=True, overdue_notified_at__isnull=True
    ).aggregate(first=Min("answer_due"))["first"]
    return moment


def objection_overdue(section: Section) -> None:
    """The chronograph's event (it holds the section's lock): tell the tenderee and the
    supervising department that objections are overdue; the award still waits [R54]."""
    now = clock.now()
    overdue = list(
        ResultObjection.objects.select_for_update().filter(
            section=section,
            answered_at__isnull=True,
            overdue_notified_at__isnull=True,
            answer_due__lte=now,
        )
    )
    if not overdue:
        return
    for objection in overdue:
        objection.overdue_notified_at = now
        objection.save(update_fields=["overdue_notified_at"])
    project = section.project
    body = (
        f"{len(overdue)} 项对评标结果的异议已超过3日答复期限，请尽快答复；答复前不得定标 [R54] / "
        f"{len(overdue)} objection(s) to the result are past their 3 days: answer them on the "
        "objections page; the award waits until then [R54]"
    )
    for organisation_id in (project.tenderee_id, project.regulator_id):
        Notification.objects.create(
            organisation_id=organisation_id,
            section=section,
            subject=f"[{section.code}] 异议答复逾期 / objection answer overdue",
            body=body,
            created_at=now,
        )
    ledger.append(
        "award.objection.overdue",
        actor=ledger.SYSTEM,
        target=section,
        data={"objections": [objection.pk for objection in overdue]},
    )


def _live_unreminded(section: Section) -> Award | None:
    return Award.objects.filter(
        section=section, status=AwardStatus.NOTIFIED, overdue_notified_at__isnull=True
    ).first()


def contract_overdue_due(section: Section) -> dt.datetime | None:
    award = _live_unreminded(section)
    return award.contract_due if award else None


def contract_overdue(section: Section) -> None:
    """The chronograph's event: 30 days passed without a contract [L46]; the tenderee, the
    winner and the centre are told (a late contract is still accepted, marked late)."""
    award = _live_unreminded(section)
    now = clock.now()
    if award is None or award.contract_due > now:
        return
    award.overdue_notified_at = now
    award.save(update_fields=["overdue_notified_at"])
    project = section.project
    body = (
        f"中标通知书发出已满30日（{award.contract_due.astimezone(BEIJING):%Y-%m-%d}），合同尚未备案。请尽快签订并备案，"
        f"逾期备案将标记为逾期；中标人放弃的，请记录放弃 [L46, R55] / The 30 days after the award "
        f"notice ended ({award.contract_due.astimezone(BEIJING):%Y-%m-%d}) without a contract: sign and record it "
        "now (it will be marked late), or record the winner's decline [L46, R55]"
    )
    for organisation_id in (project.tenderee_id, award.organisation_id, project.centre_id):
        Notification.objects.create(
            organisation_id=organisation_id,
            section=section,
            subject=f"[{section.code}] 合同逾期未备案 / contract overdue",
            body=body,
            created_at=now,
        )
    ledger.append(
        "award.contract.overdue",
        actor=ledger.SYSTEM,
        target=award,
        data={"section": section.code, "contract_due": award.contract_due},
    )
