"""A section taking deposits (800,000 yuan), three bidders with registered basic accounts,
and statement lines as the bank would report them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine

from accounts.models import Organisation, Person, Role
from deposits import collection
from deposits.bank import StatementLine
from deposits.models import SubAccount
from ggzy import clock
from tests import servers
from tests.factories import OrganisationFactory, PersonFactory
from tests.trading.conftest import bidding, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section

_references = itertools.count(1)


@dataclass
class Payer:
    organisation: Organisation
    person: Person
    account: str  # its registered basic account

    def sub_account(self, section: Section) -> SubAccount:
        return collection.sub_account_for(
            section=section, bidder=self.organisation, actor=self.person
        )


def make_payer(name: str, account: str) -> Payer:
    company = OrganisationFactory.create(name=name)
    person = PersonFactory.create(
        organisation=company, role=Role.BIDDER, is_organisation_admin=True
    )
    collection.basic_account_register(
        organisation=company, number=account, name=name, bank="示范银行", actor=person
    )
    return Payer(organisation=company, person=person, account=account)


@pytest.fixture
def payers(db: None) -> list[Payer]:
    return [
        make_payer("江南建工集团有限公司", "6222000011110001"),
        make_payer("长江路桥工程有限公司", "6222000011110002"),
        make_payer("金陵市政建设有限公司", "6222000011110003"),
    ]


@pytest.fixture
def section(published: Section) -> Iterator[Section]:  # noqa: F811
    """Taking bids and deposits: the clock stands one day after the documents were issued."""
    with time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False):
        chronograph.apply_time_events(published.pk)
        published.refresh_from_db()
        yield published


def credit(
    to: str,
    amount: str,
    *,
    payer: str,
    at: dt.datetime | None = None,
    reference: str | None = None,
) -> StatementLine:
    return StatementLine(
        reference=reference or f"B{next(_references):08d}",
        direction="credit",
        account=to,
        counterparty_account=payer,
        counterparty_name="付款人",
        amount=Decimal(amount),
        booked_at=at or clock.now(),
        memo="投标保证金",
    )


BANK_SECRET = "test-bank-secret"
OPENING_BALANCE = "1000000.00"  # the collection account's own money before the platform's


@pytest.fixture
def bank(settings: Any, tmp_path: Path) -> Iterator[servers.BankSimulator]:
    """The bank simulator as its own process; the platform's settings point at it. It calls
    no one back (see ``bank_calling`` for a platform it calls)."""
    with servers.bank_simulator(
        tmp_path, secret=BANK_SECRET, opening_balance=OPENING_BALANCE
    ) as simulator:
        _point_at(settings, simulator)
        yield simulator


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[servers.Running]:
    """daphne serving the platform on the test database, sharing the bank secret (the test
    needs ``django_db(transaction=True)`` so daphne sees its rows)."""
    with servers.daphne(tmp_path, BANK_SECRET=BANK_SECRET) as running:
        yield running


@pytest.fixture
def bank_calling(
    settings: Any, tmp_path: Path, platform: servers.Running
) -> Iterator[servers.BankSimulator]:
    """The bank simulator calling the real platform (daphne) back on every credit."""
    with servers.bank_simulator(
        tmp_path,
        secret=BANK_SECRET,
        opening_balance=OPENING_BALANCE,
        callback_url=platform.url + "/deposits/bank/callback",
    ) as simulator:
        _point_at(settings, simulator)
        yield simulator


def _point_at(settings: Any, simulator: servers.BankSimulator) -> None:
    settings.BANK_URL = simulator.url
    settings.BANK_SECRET = BANK_SECRET
    settings.BANK_TIMEOUT_SECONDS = 2.0
