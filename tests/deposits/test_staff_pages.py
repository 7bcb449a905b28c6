"""The centre's deposit pages: staff decide, regulators read, and nothing of a section shows
before its deadline — to anyone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person, Role
from deposits import books, positions, refunds
from deposits.bank import Payout, StatementLine
from deposits.matching import record_line
from deposits.models import BankLine, Forfeiture, LineOutcome, Refund, RefundReason, RefundStatus
from ggzy import clock
from tests.conftest import client_for
from tests.deposits.conftest import Payer, credit
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading.models import Section

pytestmark = pytest.mark.django_db

FOREIGN = "9999000011112222"  # an account that is nobody's basic account


@dataclass
class Money:
    section: Section
    payers: list[Payer]
    host: Person  # the hosting centre's staff
    regulator: Person
    review: BankLine  # payers[1]'s deposit from another account: held for review
    unmatched: BankLine  # to a sub-account that does not exist: names no section


@pytest.fixture
def money(section: Section, payers: list[Payer], holders: Holders) -> Money:
    first, second = payers[0], payers[1]
    record_line(
        credit(
            first.sub_account(section).number, "800000.00", payer=first.account, reference="PAID-1"
        ),
        source="feed",
    )
    review, _ = record_line(
        credit(
            second.sub_account(section).number, "800000.00", payer=FOREIGN, reference="REVIEW-1"
        ),
        source="feed",
    )
    unmatched, _ = record_line(
        credit("8866000000000000", "1234.56", payer="6222777788889999", reference="LOST-1"),
        source="csv",
    )
    return Money(
        section=section,
        payers=payers,
        host=PersonFactory.create(organisation=holders.centre, role=Role.STAFF),
        regulator=PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR),
        review=review,
        unmatched=unmatched,
    )


@pytest.fixture
def after_deadline(money: Money) -> Iterator[Money]:
    with time_machine.travel(money.section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        yield money


def get(client: Client, url: str, language: str = "zh-hans") -> str:
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200, response.content[:400]
    return response.content.decode()


def test_before_the_deadline_the_overview_shows_only_money_that_names_no_section(
    money: Money,
) -> None:
    for person in (money.host, money.regulator):
        body = get(client_for(person), reverse("deposits:staff"))
        assert "LOST-1" in body
        assert "PAID-1" not in body and "REVIEW-1" not in body
        assert money.payers[0].organisation.name not in body
        assert money.section.code not in body


def test_after_the_deadline_staff_see_the_lines_and_decide_on_held_money(
    after_deadline: Money,
) -> None:
    body = get(client_for(after_deadline.host), reverse("deposits:staff"), "en")

    assert '<html lang="en">' in body and "Deposits overview" in body
    assert "PAID-1" in body and "REVIEW-1" in body and "LOST-1" in body
    held = re.search(r'<div class="card" id="held">.*?</div>', body, re.S)
    assert held is not None
    assert reverse("deposits:line_accept", args=[after_deadline.review.reference]) in held.group(0)
    assert reverse("deposits:line_return", args=[after_deadline.unmatched.reference]) in held.group(
        0
    )
    # The unmatched money was never for review: it can be returned, not accepted.
    assert reverse("deposits:line_accept", args=[after_deadline.unmatched.reference]) not in body


def test_regulators_read_everything_in_chinese_with_no_button(after_deadline: Money) -> None:
    body = get(client_for(after_deadline.regulator), reverse("deposits:staff"))

    assert '<html lang="zh-hans">' in body
    assert "REVIEW-1" in body and 'id="read-only"' in body
    assert "/accept/" not in body and "/return/" not in body


def test_the_overview_filters_lines_by_outcome(after_deadline: Money) -> None:
    body = get(
        client_for(after_deadline.host),
        reverse("deposits:staff") + f"?outcome={LineOutcome.HELD_UNMATCHED}",
    )
    lines = re.search(r'<div class="card" id="lines">.*?</div>', body, re.S)
    assert lines is not None
    assert "LOST-1" in lines.group(0) and "PAID-1" not in lines.group(0)


def test_an_unknown_outcome_filter_shows_every_line(after_deadline: Money) -> None:
    body = get(client_for(after_deadline.host), reverse("deposits:staff") + "?outcome=<script>")
    assert "PAID-1" in body and "LOST-1" in body and "<script>" not in body


def test_staff_accept_held_money_with_a_reason_and_it_counts(after_deadline: Money) -> None:
    client = client_for(after_deadline.host)
    response = client.post(
        reverse("deposits:line_accept", args=[after_deadline.review.reference]),
        {"reason": "法定代表人个人账户代付，已核实授权书和转账凭证"},
    )

    assert response.status_code == 302
    after_deadline.review.refresh_from_db()
    assert after_deadline.review.outcome == LineOutcome.MATCHED
    position = positions.of(after_deadline.section, after_deadline.payers[1].organisation)
    assert position.state == positions.State.PAID


def test_accepting_without_a_reason_is_refused_and_changes_nothing(after_deadline: Money) -> None:
    response = client_for(after_deadline.host).post(
        reverse("deposits:line_accept", args=[after_deadline.review.reference]),
        {"reason": "ok"},
        follow=True,
    )

    assert "at least 10 characters" in response.content.decode()
    after_deadline.review.refresh_from_db()
    assert after_deadline.review.outcome == LineOutcome.HELD_REVIEW


def test_staff_return_unmatched_money_and_the_refund_is_listed_as_due(
    after_deadline: Money,
) -> None:
    client = client_for(after_deadline.host)
    client.post(reverse("deposits:line_return", args=[after_deadline.unmatched.reference]))

    refund = Refund.objects.get(account__line=after_deadline.unmatched)
    assert refund.reason == RefundReason.HELD and refund.to_account == "6222777788889999"
    body = get(client, reverse("deposits:staff"), "en")
    assert f'data-refund="{refund.pk}"' in body


def test_a_regulator_may_not_decide_and_is_told_why(after_deadline: Money) -> None:
    client = client_for(after_deadline.regulator)
    accept = client.post(
        reverse("deposits:line_accept", args=[after_deadline.review.reference]),
        {"reason": "法定代表人个人账户代付，已核实授权书和转账凭证"},
    )
    back = client.post(reverse("deposits:line_return", args=[after_deadline.review.reference]))

    assert accept.status_code == 403 and back.status_code == 403
    assert "行政监督部门可查阅保证金" in accept.content.decode()
    after_deadline.review.refresh_from_db()
    assert after_deadline.review.outcome == LineOutcome.HELD_REVIEW
    assert not Refund.objects.exists()


def test_people_who_do_not_oversee_the_money_find_no_line(
    after_deadline: Money, tenderee: Person
) -> None:
    for person in (after_deadline.payers[1].person, tenderee):
        response = client_for(person).post(
            reverse("deposits:line_return", args=[after_deadline.review.reference])
        )
        assert response.status_code == 404
    assert not Refund.objects.exists()


def test_before_the_deadline_even_staff_find_no_line_of_the_section(money: Money) -> None:
    response = client_for(money.host).post(
        reverse("deposits:line_return", args=[money.review.reference])
    )
    assert response.status_code == 404
    assert not Refund.objects.exists()


def test_an_overdue_refund_is_highlighted_with_its_attempts_and_error(
    after_deadline: Money,
) -> None:
    refund = refunds.owe(
        account=books.held_account(after_deadline.unmatched), reason=RefundReason.HELD
    )
    assert refund is not None
    Refund.objects.filter(pk=refund.pk).update(
        status=RefundStatus.SENDING, attempts=3, last_error="银行无应答 / The bank did not answer"
    )
    with time_machine.travel(dt.timedelta(days=15)):
        body = get(client_for(after_deadline.host), reverse("deposits:staff"), "en")

    row = re.search(rf'<tr class="overdue" data-refund="{refund.pk}">.*?</tr>', body, re.S)
    assert row is not None
    assert "The bank did not answer" in row.group(0) and ">3<" in row.group(0)
    assert '<strong id="overdue-count">1</strong>' in body


def test_a_sealed_sections_alert_shows_only_after_the_deadline(money: Money) -> None:
    # One payer account for two bidders [R40]: an alert about the section.
    third = money.payers[2]
    record_line(
        credit(third.sub_account(money.section).number, "5.00", payer=FOREIGN), source="feed"
    )
    before = get(client_for(money.host), reverse("deposits:staff"))
    with time_machine.travel(money.section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        after = get(client_for(money.host), reverse("deposits:staff"))

    assert 'data-alert="shared_payer"' not in before
    assert 'data-alert="shared_payer"' in after


def test_bidders_are_refused_the_overview_with_a_link_to_their_own(money: Money) -> None:
    response = client_for(money.payers[0].person).get(reverse("deposits:staff"))
    assert response.status_code == 403
    assert reverse("deposits:mine") in response.content.decode()


def test_the_section_page_does_not_exist_before_the_deadline(
    money: Money, tenderee: Person
) -> None:
    url = reverse("deposits:staff_section", args=[money.section.code])
    for person in (money.host, money.regulator, tenderee, money.payers[0].person):
        assert client_for(person).get(url).status_code == 404


def test_after_the_deadline_the_section_page_lists_every_position_in_both_languages(
    after_deadline: Money, tenderee: Person
) -> None:
    url = reverse("deposits:staff_section", args=[after_deadline.section.code])
    staff_page = get(client_for(after_deadline.host), url, "en")
    regulator_page = get(client_for(after_deadline.regulator), url)
    tenderee_page = get(client_for(tenderee), url, "en")

    first, second = (payer.organisation for payer in after_deadline.payers[:2])
    for body in (staff_page, regulator_page, tenderee_page):
        assert first.credit_code in body and second.credit_code in body
        assert f'data-deposit-state="{positions.State.PAID}"' in body
        assert f'data-deposit-state="{positions.State.REVIEW}"' in body
    assert reverse("deposits:forfeit", args=[after_deadline.section.code]) in staff_page
    assert "/forfeit/" not in regulator_page and "/forfeit/" not in tenderee_page
    assert '<html lang="zh-hans">' in regulator_page and "捌拾万元整" in regulator_page
    other = client_for(after_deadline.payers[2].person).get(url)
    assert other.status_code == 404


def test_staff_forfeit_a_deposit_with_its_grounds(after_deadline: Money) -> None:
    bidder = after_deadline.payers[0].organisation
    response = client_for(after_deadline.host).post(
        reverse("deposits:forfeit", args=[after_deadline.section.code]),
        {"bidder": bidder.pk, "reason": "截止后撤销投标文件，依据招标投标法实施条例第三十五条"},
    )

    assert response.status_code == 302
    forfeiture = Forfeiture.objects.get()
    assert forfeiture.bidder == bidder and forfeiture.decided_by == after_deadline.host
    assert positions.of(after_deadline.section, bidder).state == positions.State.FORFEITED


def test_a_forfeiture_without_grounds_is_refused(after_deadline: Money) -> None:
    response = client_for(after_deadline.host).post(
        reverse("deposits:forfeit", args=[after_deadline.section.code]),
        {"bidder": after_deadline.payers[0].organisation.pk, "reason": "撤销"},
        follow=True,
    )
    assert "facts and grounds" in response.content.decode()
    assert not Forfeiture.objects.exists()


def test_a_forfeiture_of_a_bidder_without_money_here_is_refused(
    after_deadline: Money, holders: Holders
) -> None:
    response = client_for(after_deadline.host).post(
        reverse("deposits:forfeit", args=[after_deadline.section.code]),
        {"bidder": holders.tenderee.pk, "reason": "截止后撤销投标文件，依据第三十五条"},
        follow=True,
    )
    assert "该投标人在本标段没有保证金" in response.content.decode()
    assert not Forfeiture.objects.exists()


def test_regulators_and_tenderees_may_not_forfeit(after_deadline: Money, tenderee: Person) -> None:
    for person in (after_deadline.regulator, tenderee):
        response = client_for(person).post(
            reverse("deposits:forfeit", args=[after_deadline.section.code]),
            {
                "bidder": after_deadline.payers[0].organisation.pk,
                "reason": "截止后撤销投标文件，依据第三十五条",
            },
        )
        assert response.status_code == 403
    assert not Forfeiture.objects.exists()


def test_a_payout_to_a_bidder_who_withdrew_before_the_deadline_stays_sealed(
    money: Money,
) -> None:
    first = money.payers[0]
    refund = refunds.owe(
        account=books.deposit_account(money.section, first.organisation),
        reason=RefundReason.WITHDRAWN,
    )
    assert refund is not None
    refunds.settle(refund_id=refund.pk, payout=Payout(key="k", state="done", reference="OUT-1"))
    record_line(
        StatementLine(
            reference="OUT-1",
            direction="debit",
            account="",
            counterparty_account=first.account,
            counterparty_name=first.organisation.name,
            amount=Decimal("800000.00"),
            booked_at=clock.now(),
        ),
        source="feed",
    )

    before = get(client_for(money.host), reverse("deposits:staff"))
    with time_machine.travel(money.section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        after = get(client_for(money.host), reverse("deposits:staff"))

    assert "OUT-1" not in before and first.organisation.name not in before
    assert "OUT-1" in after


def test_a_payout_line_that_arrives_before_its_refund_is_booked_waits_unseen(
    after_deadline: Money,
) -> None:
    first = after_deadline.payers[0]
    record_line(
        StatementLine(
            reference="OUT-EARLY",
            direction="debit",
            account="",
            counterparty_account=first.account,
            counterparty_name=first.organisation.name,
            amount=Decimal("800000.00"),
            booked_at=clock.now(),
        ),
        source="feed",
    )

    body = get(client_for(after_deadline.host), reverse("deposits:staff"))

    # Whose refund it pays is unknown until the refund is booked: it could be a sealed one.
    assert "OUT-EARLY" not in body


def test_the_overview_shows_the_last_books_check_without_its_totals(money: Money) -> None:
    from supervision import ledger

    ledger.append(
        "deposits.books.checked",
        data={"ok": False, "differences": 2, "statement_net": "1601234.56", "books_net": "0"},
    )

    body = get(client_for(money.host), reverse("deposits:staff"), "en")

    checked = re.search(r'<td id="books-check">(.*?)</td>', body, re.S)
    assert checked is not None and "2 differences" in checked.group(0)
    assert "1601234.56" not in body and "1,601,234.56" not in body
