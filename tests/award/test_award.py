"""The award after publicity: held by unanswered objections [R54], the signed award and
result notices [L45], a decline and the next candidate, and the re-tender [R55]."""

from __future__ import annotations

import pytest

from award import objections, services
from award.models import Award, AwardStatus, OutcomeOfObjection, ResultNotice
from deposits.models import Refund, RefundReason
from ggzy.errors import DomainError
from ggzy_core.times import beijing
from tests.award.helpers import actions, verified
from tests.award.world import AwardWorld, to_award
from trading.models import Notification, SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_unanswered_objection_holds_the_award_and_its_answer_releases_it(
    publicized: AwardWorld,
) -> None:
    objection = objections.objection_raise(
        section=publicized.section, actor=publicized.bidder(2).person, text="第一名业绩造假"
    )
    assert Notification.objects.filter(organisation=publicized.tenderee.organisation).exists()
    publicized.travel(publicized.publicity.ends_at)
    with pytest.raises(DomainError, match="unanswered") as held:
        services.award_issue(section=publicized.section, actor=publicized.tenderee)
    assert beijing(objection.answer_due, milliseconds=False) in held.value.message
    with pytest.raises(DomainError, match="Only the tenderee or agency"):
        objections.objection_answer(
            objection=objection,
            actor=publicized.bidder(0).person,
            answer="不成立",
            outcome=OutcomeOfObjection.DISMISSED,
        )
    objections.objection_answer(
        objection=objection,
        actor=publicized.tenderee,
        answer="经核查业绩真实，异议不成立",
        outcome=OutcomeOfObjection.DISMISSED,
    )
    answered = actions("award.objection.answered")[0].data
    assert (answered["outcome"], answered["late"]) == ("dismissed", False)
    award = services.award_issue(section=publicized.section, actor=publicized.tenderee)
    assert (award.rank, award.organisation) == (1, publicized.bidder(0).organisation)
    assert publicized.section.status == SectionStatus.AWARDED


def test_an_upheld_objection_excluding_the_first_candidate_awards_the_second(
    publicized: AwardWorld,
) -> None:
    objection = objections.objection_raise(
        section=publicized.section, actor=publicized.bidder(1).person, text="第一名资质不符"
    )
    with pytest.raises(DomainError, match="not a publicized candidate"):
        objections.objection_answer(
            objection=objection,
            actor=publicized.tenderee,
            answer="成立",
            outcome=OutcomeOfObjection.UPHELD,
            excludes_number=9,
        )
    objections.objection_answer(
        objection=objection,
        actor=publicized.tenderee,
        answer="经核查第一名资质不符，排除",
        outcome=OutcomeOfObjection.UPHELD,
        excludes_number=1,
    )
    award = to_award(publicized)
    assert (award.rank, award.number) == (2, 2)
    assert award.organisation == publicized.bidder(1).organisation
    assert str(award.price) == "41850000.00"


def test_the_award_and_result_notices_are_signed_and_reach_every_bidder(
    publicized: AwardWorld,
) -> None:
    award = to_award(publicized)
    content = verified(award, "award")
    winner = publicized.bidder(0).organisation
    assert content["winner"] == {"name": winner.name, "credit_code": winner.credit_code}
    assert content["price"] == "40850000.00"
    assert content["publicity_sm3"] == publicized.publicity.content_sm3
    assert (award.contract_due - award.issued_at).days == 30  # [L46]
    notices = list(ResultNotice.objects.filter(award=award).order_by("organisation_id"))
    assert {n.organisation for n in notices} == {b.organisation for b in publicized.bidders[1:]}
    for notice in notices:
        body = verified(notice, "result")
        assert body["award_sm3"] == award.content_sm3
        assert body["winner"]["credit_code"] == winner.credit_code
    for bidder in publicized.bidders:
        assert Notification.objects.filter(
            organisation=bidder.organisation, section=publicized.section
        ).exists()
    issued = actions("award.award.issued")[0].data
    assert (issued["content_sm3"], issued["rank"], issued["price"]) == (
        award.content_sm3,
        1,
        "40850000.00",
    )
    assert issued["credit_code"] == winner.credit_code
    sent = actions("award.result_notice.issued")
    assert sorted(e.data["content_sm3"] for e in sent) == sorted(n.content_sm3 for n in notices)
    with pytest.raises(DomainError, match="already out"):
        services.award_issue(section=publicized.section, actor=publicized.tenderee)


def test_a_declining_winner_is_reported_to_the_centre_and_the_next_candidate_is_awarded(
    publicized: AwardWorld,
) -> None:
    first = to_award(publicized)
    with pytest.raises(DomainError, match="Write the reason"):
        services.award_decline(award=first, actor=publicized.tenderee, reason=" ")
    services.award_decline(award=first, actor=publicized.tenderee, reason="中标人书面放弃中标")
    first.refresh_from_db()
    assert first.status == AwardStatus.DECLINED and first.declined_at is not None
    centre = publicized.section.project.centre
    told = Notification.objects.get(organisation=centre, section=publicized.section)
    assert "R74]" in told.body and "forfeited" in told.body
    assert actions("award.award.declined")[0].data["reason"] == "中标人书面放弃中标"
    second = services.award_issue(section=publicized.section, actor=publicized.tenderee)
    assert (second.rank, second.organisation) == (2, publicized.bidder(1).organisation)
    assert publicized.bidder(0).organisation in {
        n.organisation for n in ResultNotice.objects.filter(award=second)
    }
    assert publicized.section.status == SectionStatus.AWARDED


def test_when_no_candidate_is_left_the_section_is_re_tendered_and_deposits_refunded(
    paid: AwardWorld,
) -> None:
    to_award(paid)
    with pytest.raises(DomainError, match="record the winner's decline first"):
        services.award_retender(section=paid.section, actor=paid.tenderee, reason="重新招标")
    for _ in range(3):
        live = Award.objects.get(section=paid.section, status=AwardStatus.NOTIFIED)
        services.award_decline(award=live, actor=paid.tenderee, reason="放弃")
        if Award.objects.filter(section=paid.section).count() < 3:
            services.award_issue(section=paid.section, actor=paid.tenderee)
    with pytest.raises(DomainError, match="No candidate is left") as none_left:
        services.award_issue(section=paid.section, actor=paid.tenderee)
    assert "re-tender" in none_left.value.message
    services.award_retender(section=paid.section, actor=paid.tenderee, reason="候选人均放弃")
    assert paid.section.status == SectionStatus.FAILED
    assert "[R55]" in paid.section.status_reason
    assert set(Refund.objects.values_list("reason", flat=True)) == {RefundReason.TERMINATED}


def test_an_upheld_objection_may_send_the_section_to_a_new_tender(publicized: AwardWorld) -> None:
    objection = objections.objection_raise(
        section=publicized.section, actor=publicized.bidder(2).person, text="评标委员会组成不合法"
    )
    with pytest.raises(DomainError, match="dismissed objection"):
        objections.objection_answer(
            objection=objection,
            actor=publicized.tenderee,
            answer="不成立",
            outcome=OutcomeOfObjection.DISMISSED,
            retender=True,
        )
    objections.objection_answer(
        objection=objection,
        actor=publicized.tenderee,
        answer="评标委员会组成违法，重新招标",
        outcome=OutcomeOfObjection.UPHELD,
        retender=True,
    )
    section = publicized.section
    assert section.status == SectionStatus.FAILED
    assert "[R54]" in section.status_reason and "重新招标" in section.status_reason
