"""The simulated bank's books: customer accounts, the platform's collection account, its
statement and its payouts. One lock around every change; optionally saved to a JSON file
after each change, so a restart keeps the accounts (``--state``)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ggzy_core import subaccount
from simulators.bank.formats import BEIJING, iso, money


class Refusal(Exception):
    """The bank says no: ``code`` is stable, ``detail`` says why and what to do."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class Customer:
    number: str
    name: str
    balance: Decimal


@dataclass
class Line:
    seq: int
    reference: str
    direction: str  # credit | debit (of the collection account)
    account: str  # the sub-account credited (credits), "" for debits
    counterparty_account: str
    counterparty_name: str
    amount: Decimal
    booked_at: dt.datetime
    memo: str

    def as_json(self) -> dict[str, str]:
        return {
            "reference": self.reference,
            "direction": self.direction,
            "account": self.account,
            "counterparty_account": self.counterparty_account,
            "counterparty_name": self.counterparty_name,
            "amount": money(self.amount),
            "booked_at": iso(self.booked_at),
            "memo": self.memo,
        }


@dataclass
class PayoutRecord:
    key: str
    to_account: str
    to_name: str
    amount: Decimal
    memo: str
    state: str  # done | failed
    reference: str = ""
    reason: str = ""
    booked_at: dt.datetime | None = None

    def same_request(self, to_account: str, to_name: str, amount: Decimal, memo: str) -> bool:
        return (self.to_account, self.to_name, self.amount, self.memo) == (
            to_account,
            to_name,
            amount,
            memo,
        )

    def as_json(self) -> dict[str, str | None]:
        return {
            "key": self.key,
            "state": self.state,
            "reference": self.reference,
            "reason": self.reason,
            "to_account": self.to_account,
            "to_name": self.to_name,
            "amount": money(self.amount),
            "memo": self.memo,
            "booked_at": iso(self.booked_at) if self.booked_at else None,
        }


@dataclass
class Books:
    collection_account: str
    collection_balance: Decimal
    subaccount_prefix: str
    customers: dict[str, Customer] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    payouts: dict[str, PayoutRecord] = field(default_factory=dict)
    state_file: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- customers (what a bidder's bank app does) ------------------------------------
    def open_account(self, number: str, name: str, balance: Decimal) -> Customer:
        """Open a customer account, or set its balance if it is open (a control call)."""
        with self.lock:
            customer = Customer(number, name, balance)
            self.customers[number] = customer
            self._save()
            return customer

    def transfer(
        self, from_account: str, from_name: str, to_account: str, amount: Decimal, memo: str
    ) -> Line:
        if to_account != self.collection_account:
            self._check_sub_account(to_account)
        with self.lock:
            payer = self.customers.get(from_account)
            if payer is None:
                raise Refusal(404, "no_such_account", "付款账户不存在 / No such paying account")
            if payer.balance < amount:
                raise Refusal(
                    422,
                    "insufficient_funds",
                    "余额不足，未转账 / Insufficient funds: nothing was transferred",
                )
            payer.balance -= amount
            self.collection_balance += amount
            line = self._book(
                "credit", to_account, from_account, from_name or payer.name, amount, memo
            )
            self._save()
            return line

    def _check_sub_account(self, number: str) -> None:
        # A mistyped number fails the check digit: refused, so it never credits anyone.
        if not subaccount.is_valid(number) or not number.startswith(self.subaccount_prefix):
            raise Refusal(
                422,
                "invalid_sub_account",
                "收款子账号无效（校验位不符），请核对后重新输入；未转账 / The sub-account number "
                "is not valid (check digit): check it and try again; nothing was transferred",
            )

    # --- the platform's side ------------------------------------------------------------
    def payout(
        self,
        key: str,
        to_account: str,
        to_name: str,
        amount: Decimal,
        memo: str,
        *,
        refuse_reason: str | None = None,
    ) -> tuple[PayoutRecord, bool]:
        """Pay once per key; the same key again answers the payout already made."""
        with self.lock:
            known = self.payouts.get(key)
            if known is not None:
                if not known.same_request(to_account, to_name, amount, memo):
                    raise Refusal(
                        409,
                        "key_reused",
                        f"payout key {key} was used for a different payout; use a new key",
                    )
                return known, False
            record = PayoutRecord(key, to_account, to_name, amount, memo, state="failed")
            if refuse_reason is not None:
                record.reason = refuse_reason
            elif self.collection_balance < amount:
                record.reason = "insufficient funds in the collection account"
            else:
                self.collection_balance -= amount
                payee = self.customers.get(to_account)
                if payee is not None:
                    payee.balance += amount
                line = self._book("debit", "", to_account, to_name, amount, memo)
                record.state, record.reference = "done", line.reference
                record.booked_at = line.booked_at
            self.payouts[key] = record
            self._save()
            return record, True

    def statement(
        self, since: dt.datetime | None, after: int, limit: int
    ) -> tuple[list[Line], int | None]:
        """Lines booked at or after ``since``, in booking order, ``limit`` at most after the
        cursor ``after`` (a sequence number); the next cursor, or None at the end."""
        with self.lock:
            # Line n has sequence number n, so the cursor is an index into the list.
            wanted = (
                line for line in self.lines[after:] if since is None or line.booked_at >= since
            )
            chosen = list(itertools.islice(wanted, limit + 1))
        page = chosen[:limit]
        return page, (page[-1].seq if len(chosen) > limit else None)

    def _book(
        self, direction: str, account: str, counterparty: str, name: str, amount: Decimal, memo: str
    ) -> Line:
        seq = len(self.lines) + 1
        booked = dt.datetime.now(BEIJING)
        # Random tail: a simulator restarted without --state never reuses a reference.
        reference = f"SIM{booked:%Y%m%d}{seq:07d}{secrets.token_hex(3).upper()}"
        line = Line(seq, reference, direction, account, counterparty, name, amount, booked, memo)
        self.lines.append(line)
        return line

    # --- persistence ----------------------------------------------------------------
    def _save(self) -> None:
        if self.state_file is None:
            return
        data = {
            "collection_balance": money(self.collection_balance),
            "customers": [asdict(c) for c in self.customers.values()],
            "lines": [asdict(line) for line in self.lines],
            "payouts": [asdict(p) for p in self.payouts.values()],
        }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, default=_encode, ensure_ascii=False))
        os.replace(temporary, self.state_file)

    def load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        data = json.loads(self.state_file.read_text())
        self.collection_balance = Decimal(data["collection_balance"])
        for row in data["customers"]:
            self.customers[row["number"]] = Customer(
                row["number"], row["name"], Decimal(row["balance"])
            )
        for row in data["lines"]:
            self.lines.append(
                Line(
                    **{
                        **row,
                        "amount": Decimal(row["amount"]),
                        "booked_at": _moment(row["booked_at"]),
                    }
                )
            )
        for row in data["payouts"]:
            booked = _moment(row["booked_at"]) if row["booked_at"] else None
            self.payouts[row["key"]] = PayoutRecord(
                **{**row, "amount": Decimal(row["amount"]), "booked_at": booked}
            )


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)
