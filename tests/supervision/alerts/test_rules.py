"""Each rule sees its pattern when it is seeded, and stays silent on honest data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from bidding.models import Bid, BidStatus
from deposits.models import BankLine, LineDirection, LineOutcome, LineSource
from ggzy import clock
from supervision.alerts import runner
from supervision.alerts.models import Alert, RuleCode
from supervision.alerts.thresholds import current
from tests.supervision.alerts.conftest import company, honest_bids, make_bid, open_bid
from trading.models import Section

pytestmark = pytest.mark.django_db


def alerts_of(section: Section, rule: str) -> list[Alert]:
    runner.run_section(section=section, rules=[rule])
    return list(Alert.objects.filter(rule=rule))


def organisations(alert: Alert) -> set[str]:
    return set(alert.organisations.values_list("credit_code", flat=True))


# --- the same value in different bidders' envelopes ------------------------------------


@pytest.mark.parametrize(
    ("rule", "field", "value"),
    [
        (RuleCode.SAME_MACHINE, "machine_fingerprint", "MAC-00:1A:2B:3C:4D:5E"),
        (RuleCode.SAME_FILE_CREATION_ID, "file_creation_id", "ggzy-bid-2026-0001"),
        (RuleCode.SAME_UPLOAD_ADDRESS, "network_address", "203.0.113.7"),
        (RuleCode.SAME_CIPHERTEXT, "sm3", "ab" * 32),
    ],
)
def test_it_alerts_on_one_value_in_two_bidders_bids(
    opened: Section, rule: str, field: str, value: str
) -> None:
    first, second = company(), company()
    same: dict[str, Any] = {field: value}
    bids = [make_bid(opened, first, **same), make_bid(opened, second, seconds_before=1800, **same)]
    make_bid(opened, company())  # an honest third bidder
    open_bid(bids[0], 1)
    (alert,) = alerts_of(opened, rule)
    assert organisations(alert) == {first.credit_code, second.credit_code}
    assert alert.evidence["values"]["value"] == value
    assert [bid["number"] for bid in alert.evidence["bids"]] == [1, None]
    assert len(alert.evidence["ledger"]) == 2  # each bid's receipt entry


@pytest.mark.parametrize(
    "rule",
    [
        RuleCode.SAME_MACHINE,
        RuleCode.SAME_FILE_CREATION_ID,
        RuleCode.SAME_UPLOAD_ADDRESS,
        RuleCode.SAME_CIPHERTEXT,
    ],
)
def test_it_does_not_alert_on_honest_envelopes(opened: Section, rule: str) -> None:
    honest_bids(opened)
    assert alerts_of(opened, rule) == []


def test_one_bidder_replacing_its_bid_from_one_machine_is_not_collusion(opened: Section) -> None:
    bidder = company()
    make_bid(opened, bidder, status=BidStatus.REPLACED, machine_fingerprint="M-1")
    make_bid(opened, bidder, machine_fingerprint="M-1")
    make_bid(opened, company(), machine_fingerprint="M-2")
    assert alerts_of(opened, RuleCode.SAME_MACHINE) == []


def test_a_withdrawn_bid_does_not_count(opened: Section) -> None:
    make_bid(opened, company(), status=BidStatus.WITHDRAWN, network_address="203.0.113.7")
    make_bid(opened, company(), network_address="203.0.113.7")
    assert alerts_of(opened, RuleCode.SAME_UPLOAD_ADDRESS) == []


# --- bids in the last seconds from one address ------------------------------------------


def test_it_alerts_on_bids_in_the_last_seconds_from_one_address(opened: Section) -> None:
    first, second = company(), company()
    make_bid(opened, first, seconds_before=20, network_address="203.0.113.9")
    make_bid(opened, second, seconds_before=5, network_address="203.0.113.9")
    (alert,) = alerts_of(opened, RuleCode.LAST_SECONDS)
    assert organisations(alert) == {first.credit_code, second.credit_code}
    assert alert.evidence["values"]["window_seconds"] == 60


def test_bids_from_one_address_hours_apart_are_not_last_seconds(opened: Section) -> None:
    make_bid(opened, company(), seconds_before=7200, network_address="203.0.113.9")
    make_bid(opened, company(), seconds_before=5, network_address="203.0.113.9")
    assert alerts_of(opened, RuleCode.LAST_SECONDS) == []


def test_the_last_seconds_window_is_configurable(opened: Section) -> None:
    make_bid(opened, company(), seconds_before=100, network_address="203.0.113.9")
    make_bid(opened, company(), seconds_before=5, network_address="203.0.113.9")
    runner.run_section(
        section=opened, rules=[RuleCode.LAST_SECONDS], thresholds=current(last_seconds=120)
    )
    assert Alert.objects.filter(rule=RuleCode.LAST_SECONDS).count() == 1


# --- identical decrypted files ----------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def store(bid: Bid, name: str, content: bytes) -> None:
    default_storage.save(f"opened/{bid.section.code}/{bid.pk}/{name}", ContentFile(content))


def test_it_alerts_on_one_decrypted_file_in_two_bidders_bids(opened: Section, media: Path) -> None:
    bids = honest_bids(opened)
    copied = b"technical proposal written once " * 200
    store(bids[0], "proposal/technical.pdf", copied)
    store(bids[1], "technical.pdf", copied)
    store(bids[2], "technical.pdf", b"an honest proposal of its own " * 200)
    (alert,) = alerts_of(opened, RuleCode.SAME_DECRYPTED_FILE)
    assert organisations(alert) == {
        bids[0].organisation.credit_code,
        bids[1].organisation.credit_code,
    }
    documents = alert.evidence["documents"]
    assert [document["name"] for document in documents] == [
        "proposal/technical.pdf",
        "technical.pdf",
    ]
    assert str(bids[0].pk) not in alert.summary + str(documents)  # names, never opaque ids


def test_it_does_not_alert_on_different_files_or_a_shared_blank_form(
    opened: Section, media: Path
) -> None:
    bids = honest_bids(opened)
    for index, bid in enumerate(bids):
        store(bid, "proposal.pdf", f"proposal number {index} ".encode() * 200)
        store(bid, "blank-form.docx", b"the tender's own blank form")  # under the size floor
    assert alerts_of(opened, RuleCode.SAME_DECRYPTED_FILE) == []


# --- the same deposit payer [R40] -------------------------------------------------------


def pay(section: Section, bidder: Any, payer: str, reference: str) -> BankLine:
    return BankLine.objects.create(
        reference=reference,
        direction=LineDirection.CREDIT,
        account="8866000000000001",
        counterparty_account=payer,
        amount=Decimal("800000.00"),
        booked_at=clock.now(),
        source=LineSource.FEED,
        received_at=clock.now(),
        outcome=LineOutcome.MATCHED,
        section=section,
        bidder=bidder,
    )


def test_it_alerts_on_one_payer_account_for_two_bidders(opened: Section) -> None:
    first, second, third = company(), company(), company()
    for bidder in (first, second, third):
        make_bid(opened, bidder)
    pay(opened, first, "6222000099990001", "R-1")
    pay(opened, second, "6222000099990001", "R-2")
    pay(opened, third, "6222000099990003", "R-3")
    (alert,) = alerts_of(opened, RuleCode.SAME_DEPOSIT_PAYER)
    assert organisations(alert) == {first.credit_code, second.credit_code}
    assert alert.evidence["values"]["payer_account"] == "6222000099990001"
    assert {line["reference"] for line in alert.evidence["values"]["lines"]} == {"R-1", "R-2"}


def test_each_bidder_paying_from_its_own_account_raises_nothing(opened: Section) -> None:
    for index in range(3):
        bidder = company()
        make_bid(opened, bidder)
        pay(opened, bidder, f"622200009999000{index}", f"R-{index}")
    assert alerts_of(opened, RuleCode.SAME_DEPOSIT_PAYER) == []


# --- one legal representative [R34] -----------------------------------------------------


def test_it_alerts_on_bidders_under_one_legal_representative(opened: Section) -> None:
    digest = "5d" * 32
    first = company(legal_representative="张三", legal_representative_id_digest=digest)
    second = company(legal_representative="张三", legal_representative_id_digest=digest)
    for bidder in (first, second, company()):
        make_bid(opened, bidder)
    (alert,) = alerts_of(opened, RuleCode.SAME_LEGAL_REPRESENTATIVE)
    assert organisations(alert) == {first.credit_code, second.credit_code}
    assert alert.evidence["values"]["legal_representatives"] == ["张三"]
    assert digest not in str(alert.evidence) + alert.fingerprint  # never the ID's digest


def test_bidders_with_different_legal_representatives_raise_nothing(opened: Section) -> None:
    for index in range(3):
        make_bid(opened, company(legal_representative_id_digest=f"{index:02d}" * 32))
    make_bid(opened, company(legal_representative_id_digest=""))
    make_bid(opened, company(legal_representative_id_digest=""))  # unknown is not "the same"
    assert alerts_of(opened, RuleCode.SAME_LEGAL_REPRESENTATIVE) == []


# --- prices in a regular pattern or just under the ceiling ------------------------------


def priced(section: Section, prices: list[str]) -> list[Bid]:
    bids = [make_bid(section, company()) for _ in prices]
    for number, (bid, price) in enumerate(zip(bids, prices, strict=True), 1):
        open_bid(bid, number, price)
    return bids


@pytest.mark.parametrize(
    ("prices", "pattern"),
    [
        (["41000000.00", "43000000.00", "42000000.00", "44000000.00"], "equal_differences"),
        (["40000000.00", "42000000.00", "44100000.00"], "equal_ratios"),
    ],
)
def test_it_alerts_on_prices_in_a_regular_pattern(
    opened: Section, prices: list[str], pattern: str
) -> None:
    priced(opened, prices)
    (alert,) = alerts_of(opened, RuleCode.PRICE_PATTERN)
    assert alert.evidence["values"]["pattern"] == pattern
    assert alert.organisations.count() == len(prices)


def test_it_does_not_alert_on_irregular_prices(opened: Section) -> None:
    priced(opened, ["41230000.00", "43980000.00", "44510000.00", "46020000.00"])
    assert alerts_of(opened, RuleCode.PRICE_PATTERN) == []


def test_two_prices_are_no_pattern(opened: Section) -> None:
    priced(opened, ["41000000.00", "42000000.00"])
    assert alerts_of(opened, RuleCode.PRICE_PATTERN) == []


def test_it_alerts_on_prices_clustered_just_under_the_ceiling(opened: Section) -> None:
    assert opened.price_ceiling == Decimal("48000000.00")
    priced(opened, ["47990000.00", "47900000.00", "47600000.00", "41000000.00"])
    (alert,) = alerts_of(opened, RuleCode.NEAR_CEILING)
    assert alert.evidence["values"]["count"] == 3
    assert [bid["number"] for bid in alert.evidence["bids"]] == [1, 2, 3]


def test_prices_spread_below_the_ceiling_raise_nothing(opened: Section) -> None:
    priced(opened, ["47990000.00", "47900000.00", "45000000.00", "41000000.00"])
    assert alerts_of(opened, RuleCode.NEAR_CEILING) == []


# --- habitual co-bidders across sections ------------------------------------------------


def test_it_alerts_on_bidders_who_always_bid_together(
    opened: Section, more_sections: list[Section]
) -> None:
    ring = [company(), company()]
    for section in [opened, *more_sections]:
        for bidder in ring:
            make_bid(section, bidder)
        make_bid(section, company())  # a different third bidder each time
    runner.run_cross_section()
    (alert,) = Alert.objects.filter(rule=RuleCode.HABITUAL_COBIDDERS)
    assert organisations(alert) == {bidder.credit_code for bidder in ring}
    assert alert.section is None
    assert alert.sections.count() == 3
    assert alert.evidence["values"]["sections_together"] == 3


def test_bidders_who_met_once_are_not_habitual(
    opened: Section, more_sections: list[Section]
) -> None:
    regular = company()
    for section in [opened, *more_sections]:
        make_bid(section, regular)
        make_bid(section, company())
    runner.run_cross_section()
    assert not Alert.objects.filter(rule=RuleCode.HABITUAL_COBIDDERS).exists()


def test_a_section_still_taking_bids_does_not_count_towards_co_bidding(
    opened: Section, more_sections: list[Section]
) -> None:
    ring = [company(), company()]
    later = more_sections[-1]
    Section.objects.filter(pk=later.pk).update(bid_deadline=clock.now() + dt.timedelta(days=3))
    for section in [opened, *more_sections]:
        for bidder in ring:
            make_bid(section, bidder)
    runner.run_cross_section()  # two sections past the deadline: below the minimum of 3
    assert not Alert.objects.filter(rule=RuleCode.HABITUAL_COBIDDERS).exists()


# --- an expert's scores deviate ---------------------------------------------------------


def test_it_alerts_on_a_member_whose_scores_deviate(opened: Section, scored: Any) -> None:
    scored(deviant=["10", "95", "20"])
    (alert,) = alerts_of(opened, RuleCode.SCORE_DEVIATION)
    assert alert.evidence["values"]["member"] == 5
    assert {item["number"] for item in alert.evidence["values"]["scores"]} == {1, 2, 3}
    assert "评委" not in str(alert.evidence)  # the seat, never the name [L37]


def test_members_who_broadly_agree_raise_nothing(opened: Section, scored: Any) -> None:
    scored(deviant=["82", "68", "51"])
    assert alerts_of(opened, RuleCode.SCORE_DEVIATION) == []
