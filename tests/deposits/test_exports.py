"""The reconciliation report: the lines one may see, what became of each, numbers that sum."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person, Role
from deposits import books, refunds
from deposits.bank import Payout, StatementLine
from deposits.matching import record_line
from deposits.models import Refund, RefundReason
from tests.conftest import client_for
from tests.deposits.conftest import Payer, credit
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading.models import Section

pytestmark = pytest.mark.django_db

HEADERS = 2  # Chinese, then English


@pytest.fixture
def host(holders: Holders) -> Person:
    return PersonFactory.create(organisation=holders.centre, role=Role.STAFF)


@pytest.fixture
def statement(section: Section, payers: list[Payer]) -> Iterator[Section]:
    """An over-payment (500 held), a deposit from another account (held for review), money
    to no sub-account, and the over-payment's 500 paid back (a payout line)."""
    first, second = payers[0], payers[1]
    over, _ = record_line(
        credit(
            first.sub_account(section).number, "800500.00", payer=first.account, reference="A-1"
        ),
        source="feed",
    )
    record_line(
        credit(
            second.sub_account(section).number,
            "800000.00",
            payer="9999000011112222",
            reference="A-2",
        ),
        source="feed",
    )
    record_line(credit("8866000000000000", "0.10", payer="6222", reference="A-3"), source="csv")
    refund = refunds.owe(account=books.held_account(over), reason=RefundReason.HELD)
    assert refund is not None
    refunds.settle(refund_id=refund.pk, payout=Payout(key="k", state="done", reference="P-1"))
    record_line(
        StatementLine(
            reference="P-1",
            direction="debit",
            account="",
            counterparty_account=first.account,
            counterparty_name=first.organisation.name,
            amount=Decimal("500.00"),
            booked_at=section.documents_from + dt.timedelta(days=1, hours=1),
        ),
        source="feed",
    )
    with time_machine.travel(section.bid_deadline + dt.timedelta(minutes=1), tick=False):
        yield section


def xlsx(client: Client, query: str = "") -> list[tuple[object, ...]]:
    response = client.get(reverse("deposits:report_xlsx") + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_the_excel_report_has_both_headers_numbers_and_a_totals_row(
    statement: Section, host: Person
) -> None:
    rows = xlsx(client_for(host))

    assert rows[0][0] == "银行流水号" and rows[1][0] == "Bank reference"
    by_reference = {row[0]: row for row in rows[HEADERS:-1]}
    assert set(by_reference) == {"A-1", "A-2", "A-3", "P-1"}
    over = by_reference["A-1"]
    # In, counted, held: numbers, not text; the 500 over-paid was returned (held now 0).
    assert (over[6], over[8], over[9]) == (800500, 800000, 0)
    assert isinstance(over[6], int | float)
    assert over[11] == statement.code and over[15] == "已支付"  # the page's language
    assert by_reference["A-2"][9] == 800000  # held for review
    assert by_reference["P-1"][7] == 500 and by_reference["P-1"][14] == over[14]
    totals = rows[-1]
    assert str(totals[0]).startswith("合计 Total: 4")
    assert totals[6] == pytest.approx(1600500.10) and totals[7] == 500
    assert totals[8] == 800000 and totals[9] == pytest.approx(800000.10)


def test_amount_cells_carry_a_two_decimal_number_format(statement: Section, host: Person) -> None:
    response = client_for(host).get(reverse("deposits:report_xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    assert sheet.cell(row=3, column=7).number_format == "#,##0.00"
    assert sheet.cell(row=3, column=1).number_format == "General"


def test_the_csv_report_says_the_same_with_a_bom_for_excel(
    statement: Section, host: Person
) -> None:
    response = client_for(host).get(reverse("deposits:report_csv"))
    text = response.getvalue().decode("utf-8")

    assert text.startswith("\ufeff银行流水号")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0] == "Bank reference"
    line = next(row for row in rows if row[0] == "A-1")
    assert line[6] == "800500.00" and line[8] == "800000.00" and line[9] == "0.00"
    assert rows[-1][6] == "1600500.10" and rows[-1][7] == "500.00"


def test_the_report_filters_by_outcome(statement: Section, host: Person) -> None:
    rows = xlsx(client_for(host), "?outcome=held_unmatched")
    assert [row[0] for row in rows[HEADERS:-1]] == ["A-3"]
    assert rows[-1][6] == pytest.approx(0.10)


def test_before_the_deadline_the_report_leaves_out_the_sections_lines(
    section: Section, payers: list[Payer], host: Person
) -> None:
    payer = payers[0]
    record_line(
        credit(
            payer.sub_account(section).number, "800000.00", payer=payer.account, reference="S-1"
        ),
        source="feed",
    )
    record_line(credit("8866000000000000", "1.00", payer="6222", reference="S-2"), source="csv")

    rows = xlsx(client_for(host))

    assert [row[0] for row in rows[HEADERS:-1]] == ["S-2"]
    assert rows[-1][6] == 1


def test_a_regulator_exports_too_and_a_bidder_is_refused(
    statement: Section, holders: Holders, payers: list[Payer]
) -> None:
    regulator = PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)
    assert len(xlsx(client_for(regulator))) == HEADERS + 4 + 1
    for name in ("deposits:report_xlsx", "deposits:report_csv"):
        assert client_for(payers[0].person).get(reverse(name)).status_code == 403


def test_a_refund_is_matched_to_its_payout_line(statement: Section, host: Person) -> None:
    refund = Refund.objects.get()
    rows = {row[0]: row for row in xlsx(client_for(host))[HEADERS:-1]}
    assert rows["P-1"][14] == str(refund.pk) and rows["A-1"][14] == str(refund.pk)
