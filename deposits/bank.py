"""The bank adapter: what the platform asks of the bank holding its collection account.

docs/bank-interface.md specifies it for a real bank; ``deposits.bank_http.HttpBank`` speaks
it over HTTP (to the bank simulator in the demo and the tests, ``simulators/bank``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

PayoutState = Literal["done", "failed"]


@dataclass(frozen=True)
class StatementLine:
    """One line of the collection account's statement, as the bank reports it."""

    reference: str  # the bank's transaction id: unique, the idempotency key of an arrival
    direction: Literal["credit", "debit"]
    account: str  # credited virtual sub-account (credits), or "" (debits)
    counterparty_account: str
    counterparty_name: str
    amount: Decimal  # > 0, yuan, two decimals
    booked_at: dt.datetime  # aware
    memo: str = ""


@dataclass(frozen=True)
class Payout:
    """What the bank says about a payout (by the platform's idempotency key)."""

    key: str
    state: PayoutState
    reference: str = ""  # the bank's transaction id of a done payout
    reason: str = ""  # why a failed payout failed


class BankUnavailable(Exception):
    """The bank did not answer (timeout, connection refused, 5xx): the outcome is unknown,
    ask again with the same key."""


class Bank(Protocol):
    def statement(self, *, since: dt.datetime | None = None) -> list[StatementLine]:
        """The collection account's lines booked at or after ``since``."""
        ...

    def payout(
        self, *, key: str, to_account: str, to_name: str, amount: Decimal, memo: str
    ) -> Payout:
        """Pay ``amount`` from the collection account, once per ``key`` however often asked."""
        ...

    def payout_status(self, *, key: str) -> Payout | None:
        """The payout made with ``key``, or None if the bank never saw it."""
        ...
