"""The bank's signed callback: accepted once per signature, recorded once per line."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
import time_machine
from django.test import Client

from deposits import statement_format
from deposits.models import BankLine, BookTransaction, CallbackNonce, LineOutcome
from ggzy import clock
from simulators.bank import signing
from supervision.models import LedgerEntry
from tests import servers
from tests.deposits.conftest import BANK_SECRET, Payer, credit
from tests.tools import nothing_changes
from trading.models import Section

PATH = "/deposits/bank/callback"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.BANK_SECRET = BANK_SECRET


def body_for(line: Any) -> bytes:
    return json.dumps(statement_format.line_to_json(line), ensure_ascii=False).encode()


def deliver(body: bytes, headers: dict[str, str] | None = None) -> Any:
    """POST as the simulator does: signed with its own code, unless headers are given."""
    signed = headers if headers is not None else signing.headers(BANK_SECRET, "POST", PATH, body)
    return Client().post(PATH, data=body, content_type="application/json", headers=signed)


@pytest.fixture
def paid(bidding: Section, payers: list[Payer]) -> bytes:
    """A deposit paid correctly, as the bank announces it."""
    payer = payers[0]
    return body_for(credit(payer.sub_account(bidding).number, "800000.00", payer=payer.account))


@pytest.mark.django_db
def test_a_signed_callback_records_and_matches_the_line(paid: bytes) -> None:
    answer = deliver(paid)

    assert answer.status_code == 200
    reference = json.loads(paid)["reference"]
    assert answer.json() == {"reference": reference, "outcome": LineOutcome.MATCHED, "new": True}
    line = BankLine.objects.get(reference=reference)
    assert line.source == "callback"
    assert line.booking is not None and line.booking.key == f"arrival:{reference}"


@pytest.mark.django_db
def test_a_line_delivered_twice_is_one_bank_line_and_both_answers_agree(paid: bytes) -> None:
    first = deliver(paid)
    second = deliver(paid)  # signed afresh, as each delivery is

    assert first.status_code == second.status_code == 200
    assert second.json() == {**first.json(), "new": False}
    assert BankLine.objects.count() == 1
    assert BookTransaction.objects.count() == 1


@pytest.mark.django_db
def test_a_callback_replayed_with_the_same_nonce_is_refused(paid: bytes) -> None:
    headers = signing.headers(BANK_SECRET, "POST", PATH, paid)
    assert deliver(paid, headers).status_code == 200

    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        replayed = deliver(paid, headers)

    assert replayed.status_code == 401
    assert replayed.json()["code"] == "replayed"


@pytest.mark.django_db
def test_a_callback_signed_with_another_secret_is_refused_without_naming_the_secret(
    paid: bytes,
) -> None:
    forged = signing.headers("not-the-secret", "POST", PATH, paid)

    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        answer = deliver(paid, forged)

    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    assert BANK_SECRET not in answer.content.decode()
    assert "not-the-secret" not in answer.content.decode()


@pytest.mark.django_db
def test_a_callback_whose_body_was_altered_is_refused(paid: bytes) -> None:
    headers = signing.headers(BANK_SECRET, "POST", PATH, paid)
    altered = paid.replace(b"800000.00", b"900000.00")

    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        answer = deliver(altered, headers)

    assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")


@pytest.mark.django_db
def test_a_callback_signed_outside_the_time_window_is_refused(paid: bytes, settings: Any) -> None:
    settings.BANK_CALLBACK_WINDOW_SECONDS = 300
    headers = signing.headers(BANK_SECRET, "POST", PATH, paid)

    with (
        time_machine.travel(clock.now() + dt.timedelta(seconds=301)),
        nothing_changes(BankLine, BookTransaction, CallbackNonce),
    ):
        answer = deliver(paid, headers)

    assert (answer.status_code, answer.json()["code"]) == (401, "stale_timestamp")


@pytest.mark.django_db
def test_a_callback_without_signature_headers_is_refused(paid: bytes) -> None:
    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        answer = deliver(paid, {})

    assert (answer.status_code, answer.json()["code"]) == (401, "unsigned")


@pytest.mark.django_db
def test_a_callback_over_64_kib_is_refused_before_it_is_read(paid: bytes) -> None:
    huge = paid[:-1] + b', "padding": "' + b"x" * 65536 + b'"}'

    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        answer = deliver(huge)

    assert (answer.status_code, answer.json()["code"]) == (413, "too_large")


@pytest.mark.django_db
def test_a_signed_callback_with_a_float_amount_is_refused_and_spends_no_nonce(
    paid: bytes,
) -> None:
    body = paid.replace(b'"800000.00"', b"800000.0")

    with nothing_changes(BankLine, BookTransaction, CallbackNonce):
        answer = deliver(body)

    assert (answer.status_code, answer.json()["code"]) == (400, "invalid")
    assert "amount" in answer.json()["detail"]


@pytest.mark.django_db
def test_nonces_older_than_twice_the_window_are_pruned(paid: bytes, settings: Any) -> None:
    settings.BANK_CALLBACK_WINDOW_SECONDS = 300
    CallbackNonce.objects.create(nonce="o" * 32, seen_at=clock.now() - dt.timedelta(seconds=601))
    CallbackNonce.objects.create(nonce="n" * 32, seen_at=clock.now() - dt.timedelta(seconds=599))

    deliver(paid)

    kept = set(CallbackNonce.objects.values_list("nonce", flat=True))
    assert "o" * 32 not in kept and "n" * 32 in kept and len(kept) == 2


@pytest.mark.django_db(transaction=True)
def test_the_simulator_calls_the_real_platform_and_a_double_delivery_is_one_line(
    bidding: Section, payers: list[Payer], bank_calling: servers.BankSimulator
) -> None:
    payer = payers[0]
    number = payer.sub_account(bidding).number
    bank_calling.open_account(payer.account, payer.organisation.name, "800000.00")
    bank_calling.faults(callback={"mode": "twice"})

    transfer = bank_calling.transfer(
        from_account=payer.account, to_account=number, amount="800000.00", memo="保证金"
    )
    assert transfer.status_code == 201

    deadline = time.monotonic() + 30
    while bank_calling.health()["callbacks_delivered"] != 2:
        assert time.monotonic() < deadline, bank_calling.log.read_text()[-2000:]
        time.sleep(0.2)
    line = BankLine.objects.get()
    assert (line.reference, line.source) == (transfer.json()["reference"], "callback")
    assert line.outcome == LineOutcome.MATCHED
    assert BookTransaction.objects.filter(key=f"arrival:{line.reference}").count() == 1
    assert LedgerEntry.objects.filter(action="deposits.money.received").count() == 1
