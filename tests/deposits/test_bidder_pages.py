"""The bidder's deposit pages: its own money only, what to pay and where, in both languages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person, Role
from deposits import books, decisions, positions, refunds
from deposits.bank import Payout
from deposits.matching import record_line
from deposits.models import BasicAccount, RefundReason, SubAccount
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.deposits.conftest import Payer, credit
from tests.factories import PersonFactory
from trading.models import Section

pytestmark = pytest.mark.django_db


def page(client: Client, url: str, language: str = "zh-hans") -> str:
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def notice_url(section: Section) -> str:
    return reverse("deposits:notice", args=[section.code])


def test_my_deposits_lists_a_section_taking_deposits_with_its_amount_and_state(
    section: Section, payers: list[Payer]
) -> None:
    body = page(client_for(payers[0].person), reverse("deposits:mine"))

    assert '<html lang="zh-hans">' in body and "我的投标" in body
    row = re.search(rf'<tr data-section="{section.code}">.*?</tr>', body, re.S)
    assert row is not None
    assert "800,000.00" in row.group(0)
    assert str(positions.LABELS[positions.State.MISSING]) in row.group(0)


def test_my_deposits_in_english_shows_paid_money_and_a_refund_due(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "800000.00", payer=payer.account), source="feed"
    )
    refunds.owe(
        account=books.deposit_account(section, payer.organisation), reason=RefundReason.WITHDRAWN
    )

    body = page(client_for(payer.person), reverse("deposits:mine"), "en")

    assert '<html lang="en">' in body and "My deposits" in body
    row = re.search(rf'<tr data-section="{section.code}">.*?</tr>', body, re.S)
    assert row is not None
    assert "Being refunded" in row.group(0) and "due by" in row.group(0)


def test_the_notice_says_what_to_pay_where_and_by_when(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)

    body = page(client_for(payer.person), notice_url(section), "en")

    assert "Deposit payment notice" in body
    assert "800,000.00" in body and "捌拾万元整" in body
    grouped = " ".join(sub.number[i : i + 4] for i in range(0, 16, 4))
    assert grouped in body
    assert "ggzy 模拟银行" in body and "ggzy 保证金专户" in body
    assert payer.account[:4] in body  # the basic account it must come from
    assert (
        section.bid_deadline.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        in body
    )


def test_the_notice_in_chinese_offers_the_sub_account_button_until_one_is_given(
    section: Section, payers: list[Payer]
) -> None:
    client = client_for(payers[0].person)
    body = page(client, notice_url(section))
    assert '<html lang="zh-hans">' in body
    assert reverse("deposits:sub_account", args=[section.code]) in body

    response = client.post(reverse("deposits:sub_account", args=[section.code]))

    assert response.status_code == 302 and response["Location"] == notice_url(section)
    sub = SubAccount.objects.get(section=section, bidder=payers[0].organisation)
    assert sub.number[:4] + " " + sub.number[4:8] in page(client, notice_url(section))


def test_asking_for_a_sub_account_after_the_deadline_says_why_and_gives_none(
    section: Section, payers: list[Payer]
) -> None:
    with time_machine.travel(section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        response = client_for(payers[0].person).post(
            reverse("deposits:sub_account", args=[section.code]), follow=True
        )
    assert "not taking deposits" in response.content.decode()
    assert not SubAccount.objects.exists()


def test_the_notice_shows_money_received_held_with_why_and_refunds_in_words(
    section: Section, payers: list[Payer], staff: Person
) -> None:
    payer = payers[0]
    sub = payer.sub_account(section)
    record_line(
        credit(sub.number, "800500.00", payer=payer.account, reference="OVER-1"), source="feed"
    )
    record_line(
        credit(sub.number, "20.00", payer="9999000011112222", reference="ELSE-1"), source="feed"
    )
    refund = refunds.owe(
        account=books.deposit_account(section, payer.organisation), reason=RefundReason.WITHDRAWN
    )
    assert refund is not None
    refunds.settle(refund_id=refund.pk, payout=Payout(key="k", state="done", reference="P-1"))

    body = page(client_for(payer.person), notice_url(section), "en")

    over = re.search(r'<tr data-reference="OVER-1">.*?</tr>', body, re.S)
    other = re.search(r'<tr data-reference="ELSE-1">.*?</tr>', body, re.S)
    assert over is not None and "500.00" in over.group(0)
    assert "more than the deposit" in over.group(0)
    assert other is not None and "not from the basic account" in other.group(0)
    refunds_table = re.search(r'<table id="refunds">.*?</table>', body, re.S)
    assert refunds_table is not None
    assert "800,000.00" in refunds_table.group(0) and "捌拾万元整" in refunds_table.group(0)
    assert "Paid" in refunds_table.group(0)


def test_another_bidder_sees_its_own_empty_notice_never_the_payers(
    section: Section, payers: list[Payer]
) -> None:
    payer, other = payers[0], payers[1]
    sub = payer.sub_account(section)
    record_line(
        credit(sub.number, "800000.00", payer=payer.account, reference="MINE-1"), source="feed"
    )

    body = page(client_for(other.person), notice_url(section), "en")

    assert other.organisation.name in body
    assert payer.organisation.name not in body
    assert "MINE-1" not in body and sub.number[:4] + " " + sub.number[4:8] not in body
    assert "Nothing has arrived yet." in body


def test_staff_and_tenderees_are_refused_the_notice_with_where_to_go(
    section: Section, staff: Person, tenderee: Person
) -> None:
    staff_answer = client_for(staff).get(notice_url(section))
    tenderee_answer = client_for(tenderee).get(
        notice_url(section), headers={"accept-language": "en"}
    )

    assert staff_answer.status_code == 403
    assert reverse("deposits:staff") in staff_answer.content.decode()
    assert tenderee_answer.status_code == 403
    assert '<html lang="en">' in tenderee_answer.content.decode()
    assert "administrator" in tenderee_answer.content.decode()
    assert '<html lang="zh-hans">' in staff_answer.content.decode()


def test_a_missing_section_is_not_found(payers: list[Payer]) -> None:
    response = client_for(payers[0].person).get(reverse("deposits:notice", args=["NO-SUCH"]))
    assert response.status_code == 404


def test_an_administrator_registers_the_basic_account_and_it_is_ledgered(
    section: Section, payers: list[Payer]
) -> None:
    client = client_for(payers[0].person)
    response = client.post(
        reverse("deposits:basic_account"),
        {
            "number": "6222 0000 1111 9999",
            "name": "江南建工集团有限公司",
            "bank": "示范银行城东支行",
        },
    )

    assert response.status_code == 302
    account = BasicAccount.objects.get(organisation=payers[0].organisation)
    assert account.number == "6222000011119999"
    entry = LedgerEntry.objects.filter(action="deposits.basic_account.registered").last()
    assert entry is not None and entry.data["previous"] == payers[0].account


def test_a_wrong_basic_account_number_is_refused_with_the_rule(payers: list[Payer]) -> None:
    response = client_for(payers[0].person).post(
        reverse("deposits:basic_account"), {"number": "12AB", "name": "x", "bank": "y"}
    )

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "8 to 32 digits" in response.content.decode()
    assert BasicAccount.objects.get(organisation=payers[0].organisation).number == payers[0].account


def test_a_colleague_who_is_not_an_administrator_reads_it_and_is_told_why(
    payers: list[Payer],
) -> None:
    colleague = PersonFactory.create(
        organisation=payers[0].organisation, role=Role.BIDDER, is_organisation_admin=False
    )
    client = client_for(colleague)

    body = page(client, reverse("deposits:basic_account"), "en")
    refused = client.post(
        reverse("deposits:basic_account"),
        {"number": "62220000111199990", "name": "x", "bank": "y"},
        headers={"accept-language": "en"},
    )

    assert 'id="read-only"' in body and "6222 0000 1111 0001" in body
    assert refused.status_code == 403 and "administrators" in refused.content.decode()
    assert BasicAccount.objects.get(organisation=payers[0].organisation).number == payers[0].account


def test_my_bids_shows_the_real_deposit_state_instead_of_a_placeholder(
    section: Section, payers: list[Payer]
) -> None:
    payer = payers[0]
    record_line(
        credit(payer.sub_account(section).number, "800000.00", payer=payer.account), source="feed"
    )

    body = page(client_for(payer.person), reverse("bidding:my_bids"))

    assert "coming soon" not in body
    assert f'data-deposit-state="{positions.State.PAID}"' in body
    assert notice_url(section) in body


def test_held_money_accepted_after_review_turns_the_notice_to_paid(
    section: Section, payers: list[Payer], holders: object
) -> None:
    payer = payers[0]
    line, _ = record_line(
        credit(payer.sub_account(section).number, "800000.00", payer="9999000011112222"),
        source="feed",
    )
    host = PersonFactory.create(organisation=section.project.centre, role=Role.STAFF)
    with time_machine.travel(section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        decisions.held_accept(line=line, actor=host, reason="法定代表人账户代付，已核实授权书")
        body = page(client_for(payer.person), notice_url(section), "en")

    assert f'data-deposit-state="{positions.State.PAID}"' in body
    assert positions.of(section, payer.organisation).paid == Decimal("800000.00")
