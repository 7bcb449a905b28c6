"""The candidates are publicized with the signed report, at once and for PUBLICITY_PERIOD
[R54]; objections are raised during it by the section's bidders only."""

from __future__ import annotations

import pytest
from django.conf import settings

from accounts.models import Role
from award import objections, services
from award.models import Publicity
from experts.models import Evaluation
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.times import beijing
from tests.award.helpers import actions, verified
from tests.award.world import AwardWorld
from tests.factories import OrganisationFactory, PersonFactory
from trading.models import SectionStatus
from trading.rules import OBJECTION_ANSWER_WITHIN

pytestmark = pytest.mark.django_db(transaction=True)


def test_publicity_starts_with_the_signed_report_and_lasts_the_publicity_period(
    publicized: AwardWorld,
) -> None:
    section = publicized.section
    assert section.status == SectionStatus.PUBLICITY
    publicity = Publicity.objects.get(section=section)
    evaluation = Evaluation.objects.get(section=section)
    assert publicity.starts_at == evaluation.finished_at  # the same transaction [R54]
    assert publicity.ends_at - publicity.starts_at == settings.PUBLICITY_PERIOD
    assert publicity.report_sm3 == evaluation.report_sm3
    content = verified(publicity, "publicity")
    assert [(c["rank"], c["number"]) for c in content["candidates"]] == [(1, 1), (2, 2), (3, 3)]
    assert content["candidates"][0]["price"] == "40850000.00"
    assert content["candidates"][0]["terms"]["project_manager"] == "王工"
    started = actions("award.publicity.started")
    assert len(started) == 1
    assert started[0].data["content_sm3"] == publicity.content_sm3
    assert started[0].data["report_sm3"] == evaluation.report_sm3
    assert [c["credit_code"] for c in started[0].data["candidates"]] == [
        bidder.organisation.credit_code for bidder in publicized.bidders
    ]


def test_the_award_is_refused_during_publicity_saying_until_when(publicized: AwardWorld) -> None:
    with pytest.raises(DomainError, match="publicized until") as refused:
        services.award_issue(section=publicized.section, actor=publicized.tenderee)
    assert refused.value.code == "conflict"
    assert beijing(publicized.publicity.ends_at, milliseconds=False) in refused.value.message
    assert "[R54]" in refused.value.message


def test_only_bidders_whose_bids_were_opened_may_object_and_only_during_publicity(
    publicized: AwardWorld,
) -> None:
    stranger = PersonFactory.create(organisation=OrganisationFactory.create(), role=Role.BIDDER)
    for person in (stranger, publicized.tenderee):
        with pytest.raises(DomainError, match="Only bidders whose bids were opened") as refused:
            objections.objection_raise(section=publicized.section, actor=person, text="不公")
        assert refused.value.code == "forbidden"
    with pytest.raises(DomainError, match="Write the objection"):
        objections.objection_raise(
            section=publicized.section, actor=publicized.bidder(1).person, text="  "
        )
    raised = objections.objection_raise(
        section=publicized.section, actor=publicized.bidder(1).person, text="第一名资质不符"
    )
    assert raised.answer_due == raised.raised_at + OBJECTION_ANSWER_WITHIN  # 3 days [R54]
    assert actions("award.objection.raised")[0].data["answer_due"]
    publicized.travel(publicized.publicity.ends_at)
    assert clock.now() == publicized.publicity.ends_at
    with pytest.raises(DomainError, match="complain to the supervising department"):
        objections.objection_raise(
            section=publicized.section, actor=publicized.bidder(2).person, text="太迟了"
        )
