"""The HTTP adapter against the bank simulator: payouts once per key, whatever the bank
does — refuse, time out, fail — and an honest ``BankUnavailable`` when it does not answer."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from deposits import bank_http, books, reconciliation, refunds, statement
from deposits.bank import BankUnavailable
from deposits.bank_http import BankRejected, HttpBank
from deposits.models import Refund, RefundReason, RefundStatus
from ggzy import clock
from tests import servers
from tests.deposits.conftest import BANK_SECRET, OPENING_BALANCE, Payer
from trading.models import Section

PAYEE = "6222000011110001"


def adapter(bank: servers.BankSimulator, timeout: float = 2) -> HttpBank:
    return HttpBank(url=bank.url, secret=BANK_SECRET, timeout=timeout)


def pay(client: HttpBank, key: str = "refund-1", amount: str = "800000.00") -> Any:
    return client.payout(
        key=key, to_account=PAYEE, to_name="江南建工", amount=Decimal(amount), memo="保证金退还"
    )


def debits(client: HttpBank) -> list[Any]:
    return [line for line in client.statement() if line.direction == "debit"]


def test_a_payout_asked_twice_with_one_key_pays_once(bank: servers.BankSimulator) -> None:
    bank.open_account(PAYEE, "江南建工", "0.00")
    client = adapter(bank)

    first = pay(client)
    second = pay(client)

    assert first.state == "done" and first.reference
    assert second == first
    assert bank.balance_of(PAYEE) == "800000.00"
    [line] = debits(client)
    assert (line.reference, line.amount) == (first.reference, Decimal("800000.00"))


def test_a_key_reused_for_another_payout_is_rejected_and_pays_nothing_more(
    bank: servers.BankSimulator,
) -> None:
    client = adapter(bank)
    pay(client, amount="100.00")

    with pytest.raises(BankRejected, match="409"):
        pay(client, amount="200.00")

    assert [line.amount for line in debits(client)] == [Decimal("100.00")]


def test_a_payout_that_times_out_is_unavailable_yet_the_money_moved_and_status_tells(
    bank: servers.BankSimulator,
) -> None:
    bank.open_account(PAYEE, "江南建工", "0.00")
    bank.faults(payout={"mode": "timeout", "seconds": 3, "times": 1})
    client = adapter(bank, timeout=0.5)

    started = time.monotonic()
    with pytest.raises(BankUnavailable, match="no answer"):
        pay(client)

    assert time.monotonic() - started < 2.5
    assert bank.balance_of(PAYEE) == "800000.00"
    status = client.payout_status(key="refund-1")
    assert status is not None and status.state == "done"
    assert pay(client) == status  # asking again with the key pays nothing more
    assert len(debits(client)) == 1


def test_a_refused_payout_fails_with_the_banks_reason_and_moves_no_money(
    bank: servers.BankSimulator,
) -> None:
    bank.faults(payout={"mode": "refuse", "reason": "收款账户已销户 account closed"})
    client = adapter(bank)

    payout = pay(client)

    assert (payout.state, payout.reason) == ("failed", "收款账户已销户 account closed")
    assert client.payout_status(key="refund-1") == payout
    assert debits(client) == []
    assert client.balance() == Decimal(OPENING_BALANCE)


def test_a_server_error_is_unavailable_and_does_nothing(bank: servers.BankSimulator) -> None:
    bank.faults(payout={"mode": "error", "times": 1}, statement={"mode": "error", "times": 1})
    client = adapter(bank)

    with pytest.raises(BankUnavailable, match="500"):
        pay(client)
    with pytest.raises(BankUnavailable, match="500"):
        client.statement()

    assert client.payout_status(key="refund-1") is None
    assert pay(client).state == "done"  # the fault was for one request only


def test_a_bank_that_is_not_listening_is_unavailable() -> None:
    client = HttpBank(url=f"http://127.0.0.1:{servers.free_port()}", secret="s", timeout=1)

    with pytest.raises(BankUnavailable, match="cannot reach"):
        client.payout_status(key="refund-1")


def test_a_payout_amount_is_never_a_float(bank: servers.BankSimulator) -> None:
    with pytest.raises(TypeError, match="never a float"):
        adapter(bank).payout(key="k", to_account=PAYEE, to_name="", amount=0.1, memo="")  # type: ignore[arg-type]


def test_an_answer_with_a_json_number_for_money_is_rejected() -> None:
    class Answer:
        status_code = 200

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def iter_content(self, size: int) -> list[bytes]:
            return [b'{"account": "1", "balance": 1000.5}']

    class Session:
        def request(self, *args: Any, **kwargs: Any) -> Answer:
            return Answer()

    client = HttpBank(url="http://bank.invalid", secret="s", timeout=1, session=Session())  # type: ignore[arg-type]

    with pytest.raises(BankRejected, match="JSON number"):
        client.balance()


def test_bank_comes_from_settings_unless_a_test_puts_another_in_its_place(
    settings: Any,
) -> None:
    settings.BANK_URL = "http://bank.example:9000/gateway/"
    real = bank_http.bank()
    fake = object()

    with bank_http.use(fake):  # type: ignore[arg-type]
        assert bank_http.bank() is fake

    assert isinstance(real, HttpBank) and real.url == "http://bank.example:9000/gateway"
    assert isinstance(bank_http.bank(), HttpBank)


@pytest.mark.django_db
def test_a_refund_whose_payout_timed_out_is_paid_once_when_sent_again(
    bidding: Section, payers: list[Payer], bank: servers.BankSimulator, settings: Any
) -> None:
    payer = payers[0]
    bank.open_account(payer.account, payer.organisation.name, "800000.00")
    bank.transfer(
        from_account=payer.account,
        to_account=payer.sub_account(bidding).number,
        amount="800000.00",
    )
    statement.pull()
    refund = refunds.owe(
        account=books.deposit_account(bidding, payer.organisation), reason=RefundReason.WITHDRAWN
    )
    assert refund is not None
    bank.faults(payout={"mode": "timeout", "seconds": 4, "times": 1})
    settings.BANK_TIMEOUT_SECONDS = 1

    refunds.send(refund_id=refund.pk)
    sent = Refund.objects.get(pk=refund.pk)
    assert sent.status == RefundStatus.SENDING and "did not answer" in sent.last_error
    assert bank.balance_of(payer.account) == "800000.00"  # the money moved all the same

    paid = refunds.send(refund_id=refund.pk)

    assert paid.status == RefundStatus.PAID
    assert bank.balance_of(payer.account) == "800000.00"
    client = adapter(bank)
    [debit] = debits(client)
    assert paid.bank_reference == debit.reference
    statement.pull()
    assert reconciliation.check(as_of=clock.now()).ok
