"""The demo's opening shows three deposit states: paid through the bank simulator, an
electronic guarantee, nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Organisation
from deposits import positions, statement
from deposits.bank_http import HttpBank
from tests import servers
from tests.config.test_demo_data import demo_data, demo_opening, demo_settings  # noqa: F401
from tests.deposits.conftest import BANK_SECRET, bank  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db


def states(section: Section) -> dict[str, str]:
    return {
        organisation.people.get().username: positions.of(section, organisation).state
        for organisation in Organisation.objects.filter(people__username__startswith="bidder")
    }


def test_the_demo_opening_has_a_paid_a_guaranteed_and_a_missing_deposit(
    demo_settings: Any,  # noqa: F811
    bank: servers.BankSimulator,  # noqa: F811
) -> None:
    demo_data()
    opening = demo_opening()
    assert states(opening) == {
        "bidder1": positions.State.MISSING,
        "bidder2": positions.State.GUARANTEED,
        "bidder3": positions.State.MISSING,
    }

    call_command("demo_deposits")  # what scripts/run-demo does once daphne answers
    statement.pull()  # here no daphne takes the callback: the statement brings the line
    call_command("demo_deposits")  # a restart pays nothing more

    assert states(opening)["bidder1"] == positions.State.PAID
    assert len([line for line in statement_lines(bank) if line.direction == "credit"]) == 1


def statement_lines(simulator: servers.BankSimulator) -> list[Any]:
    return HttpBank(url=simulator.url, secret=BANK_SECRET, timeout=5).statement()
