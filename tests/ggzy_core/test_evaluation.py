"""The evaluation summary anyone can recompute: at most three candidates [R53], ties to the
lower price, rejections by more than half [R51], outliers, and what members sign."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ggzy_core import evaluation as rules
from ggzy_core.gm import sm2

CRITERIA = [rules.Criterion(Decimal(60)), rules.Criterion(Decimal(40), Decimal("0.5"))]


def bid(
    number: int, price: str, *points: tuple[str, str], rejected_by: frozenset[int] = frozenset()
) -> rules.Bid:
    return rules.Bid(
        number=number,
        price=Decimal(price),
        scores={member: [Decimal(a), Decimal(b)] for member, (a, b) in enumerate(points)},
        rejected_by=rejected_by,
    )


def test_at_most_three_candidates_are_named_best_first() -> None:
    bids = [
        bid(n, "100", (str(10 * n), "10"), (str(10 * n), "10"), (str(10 * n), "10"))
        for n in range(1, 6)
    ]
    summary = rules.summarize(method=rules.COMPREHENSIVE, criteria=CRITERIA, members=3, bids=bids)
    assert summary.ranking == [5, 4, 3, 2, 1]
    assert summary.candidates == [5, 4, 3]
    assert summary.results[5] == Decimal("55.00")  # 50 + 10 × 0.5


def test_equal_scores_rank_the_lower_price_first_then_the_earlier_number() -> None:
    bids = [bid(1, "300", ("50", "20")), bid(2, "200", ("50", "20")), bid(3, "200", ("50", "20"))]
    summary = rules.summarize(method=rules.COMPREHENSIVE, criteria=CRITERIA, members=1, bids=bids)
    assert summary.ranking == [2, 3, 1]


def test_the_lowest_evaluated_price_ranks_first() -> None:
    price = [rules.Criterion(None)]
    bids = [
        rules.Bid(number=1, price=Decimal(100), scores={0: [Decimal(98)], 1: [Decimal(100)]}),
        rules.Bid(number=2, price=Decimal(95), scores={0: [Decimal(97)], 1: [Decimal(97)]}),
    ]
    summary = rules.summarize(method=rules.LOWEST_PRICE, criteria=price, members=2, bids=bids)
    assert summary.ranking == [2, 1] and summary.results[1] == Decimal("99.00")


def test_a_bid_is_rejected_only_when_more_than_half_reject_it() -> None:
    half = bid(1, "100", ("50", "20"), ("50", "20"), rejected_by=frozenset({2, 3}))
    more = bid(2, "100", ("50", "20"), rejected_by=frozenset({1, 2, 3}))
    summary = rules.summarize(
        method=rules.COMPREHENSIVE, criteria=CRITERIA, members=4, bids=[half, more]
    )
    assert summary.rejected == [2]
    assert summary.candidates == [1]


def test_a_total_far_from_the_others_mean_is_an_outlier() -> None:
    # The highest total is 80; the others' mean is 50; 70 is 20 away: 25 % > 20 %.
    far = bid(1, "100", ("40", "20"), ("40", "20"), ("60", "20"))
    near = bid(2, "100", ("40", "20"), ("40", "20"), ("50", "20"))
    summary = rules.summarize(
        method=rules.COMPREHENSIVE, criteria=CRITERIA, members=3, bids=[far, near]
    )
    assert [(item.member, item.bid) for item in summary.outliers] == [(2, 1)]


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=9))
def test_the_result_is_the_mean_of_the_members_totals(points: list[int]) -> None:
    bids = [
        rules.Bid(
            number=1,
            price=Decimal(1),
            scores={m: [Decimal(p), Decimal(0)] for m, p in enumerate(points)},
        )
    ]
    summary = rules.summarize(
        method=rules.COMPREHENSIVE, criteria=CRITERIA, members=len(points), bids=bids
    )
    assert abs(summary.results[1] - Decimal(sum(points)) / len(points)) <= Decimal("0.005")


def test_a_signature_binds_the_answer_and_the_written_reasons() -> None:
    key = sm2.generate_private_key()
    dissent = rules.report_message("ab" * 32, agrees=False, dissent="评分偏高")
    signature = key.sign(dissent)
    assert key.public_key().verify(dissent, signature)
    assert not key.public_key().verify(rules.report_message("ab" * 32, agrees=True), signature)
    assert not key.public_key().verify(
        rules.report_message("ab" * 32, agrees=False, dissent="别的理由"), signature
    )
