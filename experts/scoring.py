"""What each member does with the bids: points per criterion within its bounds (or the
evaluated price), a rejection on a listed ground [R51], a written clarification asked of a
bidder and its answer [R52], and submitting their scores when every bid is done.

Each member's scores are their own until the report: no member, staff or regulator page
shows another member's points before the leader concludes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction

from accounts.models import Person
from experts import progress
from experts.evaluation import _decimal, locked, member_of, require_status
from experts.models import (
    EvaluatedBid,
    Evaluation,
    EvaluationStatus,
    Member,
    Query,
    Rejection,
    RejectionGround,
    Score,
)
from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger
from trading.models import EvaluationMethod

REASON_MAX_CHARS = 2_000
QUESTION_MAX_CHARS = 2_000
ANSWER_MAX_CHARS = 10_000
QUERIES_PER_BID_MAX = 20
# An evaluated price corrects arithmetic and prices items the bid left out; it is not a
# new bid. More than twice the price read out is refused as a slip (decision 86).
EVALUATED_PRICE_MAX_FACTOR = Decimal(2)


def _scoring(
    evaluation: Evaluation, actor: Person, *, doing_zh: str, doing_en: str
) -> tuple[Evaluation, Member]:
    current = locked(evaluation)
    require_status(current, EvaluationStatus.SCORING, doing_zh=doing_zh, doing_en=doing_en)
    if clock.now() >= current.due_at:
        raise DomainError(
            "评标时间已到：如需更多时间，请在“时间不足”处说明（超过三分之一成员认为不足即延长）[R48] / "
            "The evaluation time is over: if it is not enough, say so under “time is short” "
            "(more than a third of the members saying so extends it) [R48]",
            code="too_late",
        )
    return current, member_of(current, actor)


def _bid(evaluation: Evaluation, bid: EvaluatedBid | int) -> EvaluatedBid:
    pk = bid if isinstance(bid, int) else bid.pk
    found = evaluation.bids.filter(pk=pk).first()
    if found is None:
        raise DomainError(
            "该投标不在本次评标中 / That bid is not in this evaluation", code="invalid"
        )
    return found


def _take_back_submission(member: Member) -> None:
    """A member who changes their marks after submitting must submit again."""
    if member.submitted_at is not None:
        member.submitted_at = None
        member.save(update_fields=["submitted_at"])


def score_set(
    *,
    evaluation: Evaluation,
    actor: Person,
    bid: EvaluatedBid | int,
    values: Mapping[int, str | Decimal],
) -> list[Score]:
    """Store the member's points for one bid, criterion by criterion (keyed by the
    criterion's order). Each value is checked against its criterion's bounds; all or none
    are kept. Changing a score after submitting takes the submission back."""
    with transaction.atomic():
        current, member = _scoring(evaluation, actor, doing_zh="评分", doing_en="scoring")
        target = _bid(current, bid)
        if Rejection.objects.filter(member=member, bid=target).exists():
            raise DomainError(
                "您已否决该投标，无须评分；如要评分请先撤回否决 / You rejected this bid: it is not "
                "scored; withdraw the rejection to score it",
                code="conflict",
            )
        criteria = {item.order: item for item in current.criteria.all()}
        unknown = set(values) - set(criteria)
        if unknown or not values:
            raise DomainError(
                "评分因素不存在 / Score the criteria of this evaluation", code="invalid"
            )
        now = clock.now()
        kept = []
        for order, raw in sorted(values.items()):
            criterion = criteria[order]
            value = _decimal(raw, field="value", what=f"“{criterion.name}”的分值")
            if criterion.maximum is not None:
                if not Decimal(0) <= value <= criterion.maximum:
                    raise DomainError(
                        f"“{criterion.name}”的分值须在 0 至 {criterion.maximum} 之间（现为 "
                        f"{value}）/ The points for “{criterion.name}” are between 0 and "
                        f"{criterion.maximum} ({value} given)",
                        code="out_of_bounds",
                        field=f"criterion-{order}",
                    )
            elif current.method == EvaluationMethod.LOWEST_PRICE:
                ceiling = (target.price or Decimal(0)) * EVALUATED_PRICE_MAX_FACTOR
                if not Decimal(0) < value <= ceiling:
                    raise DomainError(
                        f"评标价须大于 0 且不超过投标报价的两倍（{ceiling}）/ The evaluated price is "
                        f"above 0 and at most twice the price read out ({ceiling})",
                        code="out_of_bounds",
                        field=f"criterion-{order}",
                    )
            score, _created = Score.objects.update_or_create(
                member=member,
                bid=target,
                criterion=criterion,
                defaults={"value": value, "scored_at": now},
            )
            kept.append(score)
        _take_back_submission(member)
        ledger.append(
            "experts.evaluation.scored",
            actor=actor,
            target=current,
            # Which bid and how many criteria; the points are in the report, not in the
            # ledger before it (a member's marks are theirs until the conclusion).
            data={"member": member.order, "bid": target.number, "criteria": len(kept)},
        )
        progress.changed(current)
    return kept


def scores_submit(*, evaluation: Evaluation, actor: Person) -> Member:
    """The member says they are done: every bid scored on every criterion, or rejected."""
    with transaction.atomic():
        current, member = _scoring(evaluation, actor, doing_zh="提交评分", doing_en="submitting")
        criteria = current.criteria.count()
        missing = []
        for bid in current.bids.order_by("number"):
            rejected = Rejection.objects.filter(member=member, bid=bid).exists()
            scored = Score.objects.filter(member=member, bid=bid).count()
            if not rejected and scored < criteria:
                missing.append(str(bid.number))
        if missing:
            raise DomainError(
                f"还有投标未评完（序号 {', '.join(missing)}）：请逐项评分或否决后再提交 / Bids "
                f"{', '.join(missing)} are not done: score every criterion or reject the bid, "
                "then submit",
                code="incomplete",
            )
        member.submitted_at = clock.now()
        member.save(update_fields=["submitted_at"])
        ledger.append(
            "experts.evaluation.submitted",
            actor=actor,
            target=current,
            data={"member": member.order},
        )
        progress.changed(current)
    return member


def bid_reject(
    *, evaluation: Evaluation, actor: Person, bid: EvaluatedBid | int, ground: str, reason: str
) -> Rejection:
    """The member rejects a bid on a listed ground, with a reason [R51]; their scores for it
    are dropped. The committee rejects it when more than half of the members do."""
    with transaction.atomic():
        current, member = _scoring(
            evaluation, actor, doing_zh="否决投标", doing_en="rejecting a bid"
        )
        target = _bid(current, bid)
        if ground not in RejectionGround.values:
            raise DomainError(
                "请选择《招标投标法实施条例》第五十一条所列的否决情形 [R51] / Choose one of the "
                "grounds of Article 51 [R51]",
                code="invalid",
                field="ground",
            )
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX_CHARS:
            raise DomainError(
                f"请写明否决理由（至多 {REASON_MAX_CHARS:,} 字）/ Write the reason for the "
                f"rejection (at most {REASON_MAX_CHARS:,} characters)",
                code="invalid",
                field="reason",
            )
        rejection, _created = Rejection.objects.update_or_create(
            member=member,
            bid=target,
            defaults={"ground": ground, "reason": reason, "rejected_at": clock.now()},
        )
        Score.objects.filter(member=member, bid=target).delete()
        _take_back_submission(member)
        ledger.append(
            "experts.evaluation.rejected",
            actor=actor,
            target=current,
            data={"member": member.order, "bid": target.number, "ground": ground},
        )
        progress.changed(current)
    return rejection


def rejection_withdraw(*, evaluation: Evaluation, actor: Person, bid: EvaluatedBid | int) -> bool:
    with transaction.atomic():
        current, member = _scoring(
            evaluation, actor, doing_zh="撤回否决", doing_en="withdrawing a rejection"
        )
        target = _bid(current, bid)
        deleted, _ = Rejection.objects.filter(member=member, bid=target).delete()
        if deleted:
            _take_back_submission(member)
            ledger.append(
                "experts.evaluation.rejection_withdrawn",
                actor=actor,
                target=current,
                data={"member": member.order, "bid": target.number},
            )
            progress.changed(current)
    return bool(deleted)


def query_ask(
    *, evaluation: Evaluation, actor: Person, bid: EvaluatedBid | int, question: str
) -> Query:
    """A member asks the bidder, in writing, to clarify something obscure in its bid [R52].
    The bidder answers on its page; an answer may not change the price or the substance."""
    with transaction.atomic():
        current, member = _scoring(
            evaluation, actor, doing_zh="发出澄清", doing_en="asking for a clarification"
        )
        target = _bid(current, bid)
        question = question.strip()
        if not question or len(question) > QUESTION_MAX_CHARS:
            raise DomainError(
                f"请写明需要澄清的内容（至多 {QUESTION_MAX_CHARS:,} 字）/ Write what the bidder "
                f"should clarify (at most {QUESTION_MAX_CHARS:,} characters)",
                code="invalid",
                field="question",
            )
        if current.queries.filter(bid=target).count() >= QUERIES_PER_BID_MAX:
            raise DomainError(
                f"对同一投标至多发出 {QUERIES_PER_BID_MAX} 次澄清 / At most "
                f"{QUERIES_PER_BID_MAX} clarification requests per bid",
                code="too_many",
            )
        query = Query.objects.create(
            evaluation=current, bid=target, asked_by=member, question=question, asked_at=clock.now()
        )
        ledger.append(
            "experts.evaluation.query_asked",
            actor=actor,
            target=current,
            data={"member": member.order, "bid": target.number, "query": query.pk},
        )
    return query


def query_answer(*, query: Query, actor: Person, answer: str) -> Query:
    """The bidder answers a clarification request, once [R52]."""
    with transaction.atomic():
        current = locked(query.evaluation_id)
        found = Query.objects.select_for_update().select_related("bid").get(pk=query.pk)
        if actor.organisation_id != found.bid.organisation_id:
            raise DomainError(
                "只有被要求澄清的投标人可以答复 / Only the bidder asked can answer",
                code="forbidden",
            )
        if current.status != EvaluationStatus.SCORING:
            raise DomainError(
                "评标已结束评分，不再接受澄清答复 / Scoring is over: answers are no longer taken",
                code="conflict",
            )
        if found.answered_at is not None:
            raise DomainError(
                "该澄清已答复，以首次答复为准 / This request was answered already: the first "
                "answer stands",
                code="conflict",
            )
        answer = answer.strip()
        if not answer or len(answer) > ANSWER_MAX_CHARS:
            raise DomainError(
                f"请填写答复（至多 {ANSWER_MAX_CHARS:,} 字）/ Write the answer (at most "
                f"{ANSWER_MAX_CHARS:,} characters)",
                code="invalid",
                field="answer",
            )
        found.answer = answer
        found.answered_at = clock.now()
        found.answered_by = actor
        found.save(update_fields=["answer", "answered_at", "answered_by"])
        ledger.append(
            "experts.evaluation.query_answered",
            actor=actor,
            target=current,
            data={"query": found.pk, "bid": found.bid.number},
        )
    return found
