"""The award stage's time events through the chronograph: an objection answer overdue
[R54] and a contract overdue [L46] are told once; a repeated tick changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from award import objections
from award.models import OutcomeOfObjection
from tests.award.helpers import actions
from tests.award.world import AwardWorld, to_award, to_contract
from trading import chronograph
from trading.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_objection_left_unanswered_is_reported_once_and_its_late_answer_marked(
    publicized: AwardWorld,
) -> None:
    objection = objections.objection_raise(
        section=publicized.section, actor=publicized.bidder(1).person, text="评分有误"
    )
    assert publicized.section.next_check == objection.answer_due
    publicized.travel(objection.answer_due + dt.timedelta(minutes=1))
    assert chronograph.apply_time_events(publicized.section.pk) == ["award_objection_overdue"]
    assert chronograph.apply_time_events(publicized.section.pk) == []
    project = publicized.section.project
    for organisation_id in (project.tenderee_id, project.regulator_id):
        assert (
            Notification.objects.filter(
                organisation_id=organisation_id, subject__contains="overdue"
            ).count()
            == 1
        )
    assert len(actions("award.objection.overdue")) == 1
    objections.objection_answer(
        objection=objection,
        actor=publicized.tenderee,
        answer="评分无误",
        outcome=OutcomeOfObjection.DISMISSED,
    )
    assert actions("award.objection.answered")[0].data["late"] is True


def test_a_contract_not_recorded_in_thirty_days_is_reported_and_then_recorded_late(
    publicized: AwardWorld,
) -> None:
    award = to_award(publicized)
    assert publicized.section.next_check == award.contract_due
    publicized.travel(award.contract_due + dt.timedelta(minutes=1))
    assert chronograph.apply_time_events(publicized.section.pk) == ["award_contract_overdue"]
    assert chronograph.apply_time_events(publicized.section.pk) == []
    for organisation in (award.organisation, publicized.section.project.centre):
        assert Notification.objects.filter(
            organisation=organisation, subject__contains="contract overdue"
        ).exists()
    assert to_contract(publicized).late
    assert len(actions("award.contract.overdue")) == 1
