"""Remote evaluation, service by service: opening with the opened bids, scores within their
bounds, rejections [R51], clarifications [R52], the leader, more time [R48], the summary
with at most three candidates and outliers flagged, and the report every member signs [R53]."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import time_machine

from experts import evaluation as evaluations
from experts import scoring
from experts.models import EvaluationStatus, Query, RejectionGround
from ggzy.errors import DomainError
from ggzy_core import evaluation as rules
from supervision.models import LedgerEntry
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.experts.evaluation_world import AGREED_POINTS, Committee, committee, elect, score_all
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)

AGREEING = AGREED_POINTS


@pytest.fixture
def committee_open(opening: Opening) -> Committee:  # noqa: F811
    return committee(opening)


def concluded(state: Committee, points: dict[int, list[list[str]]] = AGREEING) -> Committee:
    score_all(state, points)
    elect(state)
    evaluations.conclude(evaluation=state.evaluation, actor=state.people[0])
    state.evaluation.refresh_from_db()
    return state


def actions(prefix: str) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(action__startswith=prefix).order_by("sequence"))


def test_opening_copies_the_bids_the_hall_opened_and_seats_the_confirmed_experts(
    committee_open: Committee,
) -> None:
    evaluation = committee_open.evaluation
    bids = list(evaluation.bids.order_by("number"))
    assert [bid.number for bid in bids] == [1, 2, 3]
    assert [bid.price for bid in bids] == [
        Decimal("40850000.00"),
        Decimal("41850000.00"),
        Decimal("42850000.00"),
    ]
    assert all(bid.files for bid in bids)  # the decrypted files, for the experts to read
    assert evaluation.members.count() == 5
    assert [item.name for item in evaluation.criteria.order_by("order")] == [
        "技术方案",
        "施工组织",
        "报价",
    ]
    opened = actions("experts.evaluation.opened")[0]
    assert opened.data["members"] == 5 and opened.data["bids"] == 3
    assert "评委" not in json.dumps(opened.data, ensure_ascii=False)  # names stay sealed [L37]


def test_it_is_not_opened_twice(committee_open: Committee) -> None:
    with pytest.raises(DomainError, match="already been opened"):
        evaluations.evaluation_open(
            draw=committee_open.evaluation.draw,
            actor=committee_open.evaluation.opened_by,
            hours=4,
            criteria=[evaluations.CriterionSpec("技术", "100")],
        )


def test_points_above_a_criterions_maximum_are_refused_and_none_of_the_bids_points_kept(
    committee_open: Committee,
) -> None:
    bid = committee_open.evaluation.bids.first()
    assert bid is not None
    with pytest.raises(DomainError, match="between 0 and 30") as refused:
        scoring.score_set(
            evaluation=committee_open.evaluation,
            actor=committee_open.people[1],
            bid=bid,
            values={0: "40", 1: "31"},
        )
    assert refused.value.code == "out_of_bounds"
    assert not committee_open.member(1).scores.exists()


def test_a_member_submits_only_once_every_bid_is_scored_or_rejected(
    committee_open: Committee,
) -> None:
    state = committee_open
    bids = list(state.evaluation.bids.order_by("number"))
    for bid in bids[:2]:
        scoring.score_set(
            evaluation=state.evaluation,
            actor=state.people[0],
            bid=bid,
            values={0: "30", 1: "20", 2: "20"},
        )
    with pytest.raises(DomainError, match="Bids 3 are not done"):
        scoring.scores_submit(evaluation=state.evaluation, actor=state.people[0])
    scoring.bid_reject(
        evaluation=state.evaluation,
        actor=state.people[0],
        bid=bids[2],
        ground=RejectionGround.PRICE,
        reason="报价低于成本且无法合理说明",
    )
    assert scoring.scores_submit(evaluation=state.evaluation, actor=state.people[0]).submitted_at


def test_a_rejection_needs_a_ground_of_article_51_and_a_reason(committee_open: Committee) -> None:
    bid = committee_open.evaluation.bids.first()
    assert bid is not None
    with pytest.raises(DomainError, match="Article 51"):
        scoring.bid_reject(
            evaluation=committee_open.evaluation,
            actor=committee_open.people[0],
            bid=bid,
            ground="dislike",
            reason="x",
        )
    with pytest.raises(DomainError, match="reason for the rejection"):
        scoring.bid_reject(
            evaluation=committee_open.evaluation,
            actor=committee_open.people[0],
            bid=bid,
            ground=RejectionGround.NOT_RESPONSIVE,
            reason="  ",
        )


def test_someone_outside_the_committee_cannot_score(
    committee_open: Committee,
    opening: Opening,  # noqa: F811
) -> None:
    bid = committee_open.evaluation.bids.first()
    assert bid is not None
    with pytest.raises(DomainError, match="Only members of this committee") as refused:
        scoring.score_set(
            evaluation=committee_open.evaluation, actor=opening.host, bid=bid, values={0: "1"}
        )
    assert refused.value.code == "forbidden"


def test_more_than_half_of_the_votes_elect_the_leader(committee_open: Committee) -> None:
    state = committee_open
    candidate = state.member(2)
    for person in state.people[:2]:
        assert (
            evaluations.leader_vote(evaluation=state.evaluation, actor=person, candidate=candidate)
            is None
        )
    elected = evaluations.leader_vote(
        evaluation=state.evaluation, actor=state.people[3], candidate=candidate
    )
    assert elected == candidate
    state.evaluation.refresh_from_db()
    assert state.evaluation.leader_id == candidate.pk
    assert actions("experts.evaluation.leader_elected")[0].data == {
        "leader": 2,
        "votes": 3,
        "members": 5,
    }


def test_more_than_a_third_saying_the_time_is_short_extends_the_evaluation(
    committee_open: Committee,
) -> None:
    state = committee_open
    due = state.evaluation.due_at
    # One of five is not more than a third; two of five is [R48].
    assert not evaluations.time_short_say(
        evaluation=state.evaluation, actor=state.people[0], short=True
    )
    assert evaluations.time_short_say(
        evaluation=state.evaluation, actor=state.people[1], short=True
    )
    state.evaluation.refresh_from_db()
    assert state.evaluation.extensions == 1
    assert state.evaluation.due_at > due
    assert not state.evaluation.members.filter(time_short=True).exists()  # asked afresh


def test_after_the_time_is_over_scores_are_refused_with_the_way_to_more_time(
    committee_open: Committee,
) -> None:
    bid = committee_open.evaluation.bids.first()
    assert bid is not None
    with (
        time_machine.travel(committee_open.evaluation.due_at, tick=False),
        pytest.raises(DomainError, match=r"saying so extends it\) \[R48\]"),
    ):
        scoring.score_set(
            evaluation=committee_open.evaluation,
            actor=committee_open.people[0],
            bid=bid,
            values={0: "1"},
        )


def test_a_bidder_answers_a_clarification_once_and_only_its_own(
    committee_open: Committee,
    opening: Opening,  # noqa: F811
) -> None:
    bid = committee_open.evaluation.bids.get(number=1)
    query = scoring.query_ask(
        evaluation=committee_open.evaluation,
        actor=committee_open.people[0],
        bid=bid,
        question="请说明第3章施工工期的计算依据",
    )
    with pytest.raises(DomainError, match="Only the bidder asked"):
        scoring.query_answer(query=query, actor=opening.bidders[1].person, answer="不是我们")
    scoring.query_answer(query=query, actor=opening.bidders[0].person, answer="依据定额工期")
    with pytest.raises(DomainError, match="first answer stands"):
        scoring.query_answer(query=query, actor=opening.bidders[0].person, answer="改一下")
    assert Query.objects.get(pk=query.pk).answer == "依据定额工期"


def test_only_the_leader_concludes_once_everyone_submitted(committee_open: Committee) -> None:
    state = committee_open
    elect(state, leader=0)
    with pytest.raises(DomainError, match="have not submitted"):
        evaluations.conclude(evaluation=state.evaluation, actor=state.people[0])
    score_all(state, AGREEING)
    with pytest.raises(DomainError, match="leader concludes"):
        evaluations.conclude(evaluation=state.evaluation, actor=state.people[1])
    evaluations.conclude(evaluation=state.evaluation, actor=state.people[0])
    state.evaluation.refresh_from_db()
    assert state.evaluation.status == EvaluationStatus.SIGNING
    report = json.loads(bytes(state.evaluation.report_json or b"{}"))
    assert report["ranking"] == [1, 2, 3] and report["candidates"] == [1, 2, 3]
    assert rules.report_digest(report) == state.evaluation.report_sm3
    assert (
        actions("experts.evaluation.concluded")[0].data["report_sm3"] == state.evaluation.report_sm3
    )


def test_anyone_recomputes_the_ranking_from_the_report_alone(committee_open: Committee) -> None:
    points = {member: AGREEING[member] for member in range(5)}
    points[4] = [["10", "10", "10"], ["40", "30", "30"], ["20", "15", "20"]]
    state = concluded(committee_open, points)
    report = json.loads(bytes(state.evaluation.report_json or b"{}"))
    criteria = [
        rules.Criterion(Decimal(item["maximum"]), Decimal(item["weight"]))
        for item in report["criteria"]
    ]
    by_bid: dict[int, dict[int, list[Decimal]]] = {}
    for point in report["points"]:
        by_bid.setdefault(point["bid"], {}).setdefault(point["member"], []).append(
            Decimal(point["value"])
        )
    again = rules.summarize(
        method=report["method"],
        criteria=criteria,
        members=len(report["members"]),
        bids=[
            rules.Bid(
                number=bid["number"], price=Decimal(bid["price"]), scores=by_bid[bid["number"]]
            )
            for bid in report["bids"]
        ],
    )
    assert again.ranking == report["ranking"]
    # Member 4 put the first bid far below the others and the second far above: flagged.
    assert {(item["member"], item["bid"]) for item in report["outliers"]} == {(4, 1), (4, 2)}
    outliers = actions("experts.evaluation.outlier")
    assert {(entry.data["member"], entry.data["bid"]) for entry in outliers} == {(4, 1), (4, 2)}
    assert state.evaluation.members.get(order=4).outlier


def test_a_bid_more_than_half_reject_is_not_ranked(committee_open: Committee) -> None:
    state = committee_open
    third = state.evaluation.bids.get(number=3)
    for person in state.people[:3]:
        scoring.bid_reject(
            evaluation=state.evaluation,
            actor=person,
            bid=third,
            ground=RejectionGround.NOT_QUALIFIED,
            reason="资质等级不符合招标文件要求",
        )
    points = {
        member: [
            row if index < 2 or member >= 3 else [] for index, row in enumerate(AGREEING[member])
        ]
        for member in range(5)
    }
    for member, rows in points.items():
        for bid, values in zip(state.evaluation.bids.order_by("number"), rows, strict=True):
            if values:
                scoring.score_set(
                    evaluation=state.evaluation,
                    actor=state.people[member],
                    bid=bid,
                    values=dict(enumerate(values)),
                )
        scoring.scores_submit(evaluation=state.evaluation, actor=state.people[member])
    elect(state)
    evaluations.conclude(evaluation=state.evaluation, actor=state.people[0])
    state.evaluation.refresh_from_db()
    report = json.loads(bytes(state.evaluation.report_json or b"{}"))
    assert report["candidates"] == [1, 2]
    third_row = next(bid for bid in report["bids"] if bid["number"] == 3)
    assert third_row["rejected"] and len(third_row["rejections"]) == 3


def test_a_signature_must_be_the_members_own_over_the_report(committee_open: Committee) -> None:
    state = concluded(committee_open)
    message = rules.report_message(state.evaluation.report_sm3, agrees=True)
    with pytest.raises(DomainError, match="Invalid signature") as refused:
        evaluations.report_sign(
            evaluation=state.evaluation,
            actor=state.people[0],
            agrees=True,
            signature=state.keys[1].sign(message),  # another member's key
        )
    assert refused.value.code == "bad_signature"
    with pytest.raises(DomainError, match=r"Disagreeing needs written reasons \[R53\]"):
        state.sign(0, agrees=False, dissent="")


def test_when_every_member_signed_the_section_goes_to_publicity_and_the_names_are_revealed(
    committee_open: Committee,
) -> None:
    state = concluded(committee_open)
    for index in range(4):
        state.sign(index)
    state.sign(4, agrees=False, dissent="第二名的技术方案评分偏高")
    state.evaluation.refresh_from_db()
    assert state.evaluation.status == EvaluationStatus.FINISHED
    state.evaluation.section.refresh_from_db()
    assert state.evaluation.section.status == SectionStatus.PUBLICITY
    finished = actions("experts.evaluation.finished")[0]
    assert finished.data["report_sm3"] == state.evaluation.report_sm3
    assert [item["agrees"] for item in finished.data["signatures"]] == [True] * 4 + [False]
    assert actions("experts.draw.revealed")  # the names are set with the result [L37]
    state.evaluation.refresh_from_db()
    assert state.evaluation.report_pdf  # built after commit (eager tasks here)


def test_members_who_do_not_sign_in_time_are_deemed_to_agree(committee_open: Committee) -> None:
    state = concluded(committee_open)
    state.sign(0)
    due = state.evaluation.signing_due
    assert due is not None
    with time_machine.travel(due, tick=False):
        assert "evaluation_signing_closed" in chronograph.apply_time_events(
            state.evaluation.section_id
        )
    state.evaluation.refresh_from_db()
    assert state.evaluation.status == EvaluationStatus.FINISHED
    deemed = [member.deemed_agreed for member in state.evaluation.members.order_by("order")]
    assert deemed == [False, True, True, True, True]
    assert actions("experts.evaluation.deemed_agreed")[0].data["members"] == [1, 2, 3, 4]


def test_every_ledger_entry_of_the_evaluation_names_no_member(committee_open: Committee) -> None:
    concluded(committee_open)
    text = json.dumps(
        [entry.data for entry in actions("experts.evaluation")], ensure_ascii=False, default=str
    )
    assert "评委" not in text


def test_a_dissent_posted_with_crlf_line_breaks_verifies_as_the_text_the_member_signed(
    committee_open: Committee,
) -> None:
    state = concluded(committee_open)
    shown = "技术分偏高\n报价分计算有误"  # what the page shows and signs (LF)
    message = rules.report_message(state.evaluation.report_sm3, agrees=False, dissent=shown)
    member = evaluations.report_sign(
        evaluation=state.evaluation,
        actor=state.people[2],
        agrees=False,
        dissent=shown.replace("\n", "\r\n"),  # what a browser posts from a textarea
        signature=state.keys[2].sign(message),
    )
    assert member.dissent == shown
