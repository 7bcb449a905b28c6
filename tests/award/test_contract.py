"""The contract [L46]: recorded with its file and key terms, which must be those of the
tender and the winning bid; late ones are marked; recording it refunds deposits [R57]."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from award.models import AwardStatus
from deposits.models import Refund, RefundReason
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from tests.award.helpers import actions, verified
from tests.award.world import PDF, AwardWorld, to_award, to_contract
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)

DEVIATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("price", {"price": Decimal("40850000.01")}, "40850000.00"),
    (
        "duration_days",
        {"terms": {"duration_days": 541, "quality": "合格", "project_manager": "王工"}},
        "540",
    ),
    (
        "quality",
        {"terms": {"duration_days": 540, "quality": "优良", "project_manager": "王工"}},
        "合格",
    ),
    (
        "project_manager",
        {"terms": {"duration_days": 540, "quality": "合格", "project_manager": "李工"}},
        "王工",
    ),
]


def test_each_term_that_differs_from_the_winning_bid_is_refused_by_name(
    publicized: AwardWorld,
) -> None:
    to_award(publicized)
    for term, overrides, bid_value in DEVIATIONS:
        with pytest.raises(DomainError) as refused:
            to_contract(publicized, **overrides)
        assert refused.value.field == term
        assert bid_value in refused.value.message and "[L46]" in refused.value.message
        assert " / " in refused.value.message  # Chinese, then English
    assert publicized.section.status == SectionStatus.AWARDED
    assert not actions("award.contract.recorded")


def test_the_contract_file_must_be_a_pdf_of_bounded_size(publicized: AwardWorld) -> None:
    to_award(publicized)
    with pytest.raises(DomainError, match="must be a PDF"):
        to_contract(publicized, document=b"PK\x03\x04 a zip", document_name="合同.zip")
    with pytest.raises(DomainError, match="at most 20 MB") as too_big:
        to_contract(publicized, document=PDF + b"0" * (20 * 1024 * 1024))
    assert too_big.value.code == "too_large"


def test_a_recorded_contract_closes_the_section_and_refunds_every_deposit(
    paid: AwardWorld,
) -> None:
    award = to_award(paid)
    # A shorter duration than the bid's is allowed: the bid's is a maximum [L46].
    contract = to_contract(
        paid, terms={"duration_days": 500, "quality": "合格", "project_manager": "王工"}
    )
    assert paid.section.status == SectionStatus.CONTRACTED
    award.refresh_from_db()
    assert award.status == AwardStatus.CONTRACTED
    assert not contract.late
    assert contract.document_sm3 == sm3_hex(PDF) and contract.document_size == len(PDF)
    with contract.document.open("rb") as stored:
        assert stored.read() == PDF
    content = verified(contract, "contract")
    assert content["award_sm3"] == award.content_sm3 and content["terms"]["duration_days"] == 500
    recorded = actions("award.contract.recorded")[0].data
    assert (recorded["content_sm3"], recorded["document_sm3"], recorded["price"]) == (
        contract.content_sm3,
        contract.document_sm3,
        "40850000.00",
    )
    refunds = list(Refund.objects.all())
    assert {r.payee_id for r in refunds} == {b.organisation.pk for b in paid.bidders}
    assert {r.reason for r in refunds} == {RefundReason.CONTRACT}  # with interest [R57]


def test_a_contract_recorded_after_thirty_days_is_accepted_and_marked_late(
    publicized: AwardWorld,
) -> None:
    award = to_award(publicized)
    contract = to_contract(publicized, late=True)
    assert contract.late
    assert contract.recorded_at - award.issued_at > dt.timedelta(days=30)
    assert actions("award.contract.recorded")[0].data["late"] is True
    assert publicized.section.status == SectionStatus.CONTRACTED
