"""The bank simulator behaves as a bank: it refuses what a bank refuses, keeps its own
accounts, signs and checks signatures like the platform (docs/bank-interface.md)."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from deposits import signatures
from deposits.bank import BankUnavailable
from deposits.bank_http import HttpBank
from ggzy import clock
from ggzy_core import subaccount
from simulators.bank import callbacks
from simulators.bank import signing as simulator_signing
from simulators.bank.accounts import Line
from simulators.bank.faults import Faults
from tests import servers
from tests.deposits.conftest import BANK_SECRET, OPENING_BALANCE

PAYER = "6222000011110001"


def a_sub_account() -> str:
    return subaccount.new_number("8866")


def mistyped(number: str) -> str:
    """The same number with its last-but-one digit changed: the check digit no longer fits."""
    digit = str((int(number[-2]) + 1) % 10)
    return number[:-2] + digit + number[-1]


def adapter(bank: servers.BankSimulator) -> HttpBank:
    return HttpBank(url=bank.url, secret=BANK_SECRET, timeout=2)


def test_a_mistyped_sub_account_is_refused_and_credits_no_one(
    bank: servers.BankSimulator,
) -> None:
    bank.open_account(PAYER, "江南建工集团有限公司", "1000.00")

    answer = bank.transfer(
        from_account=PAYER, to_account=mistyped(a_sub_account()), amount="100.00"
    )

    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_sub_account"
    assert bank.balance_of(PAYER) == "1000.00"
    assert adapter(bank).statement() == []


def test_a_transfer_to_a_sub_account_credits_the_collection_account_with_a_statement_line(
    bank: servers.BankSimulator,
) -> None:
    bank.open_account(PAYER, "江南建工集团有限公司", "1000.00")
    number = a_sub_account()

    answer = bank.transfer(from_account=PAYER, to_account=number, amount="250.50", memo="保证金")

    assert answer.status_code == 201
    [line] = adapter(bank).statement()
    assert (line.reference, line.direction, line.account) == (
        answer.json()["reference"],
        "credit",
        number,
    )
    assert (line.counterparty_account, line.amount) == (PAYER, Decimal("250.50"))
    assert line.booked_at.tzinfo is not None
    assert bank.balance_of(PAYER) == "749.50"
    assert adapter(bank).balance() == Decimal(OPENING_BALANCE) + Decimal("250.50")


def test_a_transfer_beyond_the_payers_balance_is_refused(bank: servers.BankSimulator) -> None:
    bank.open_account(PAYER, "江南建工集团有限公司", "99.99")

    answer = bank.transfer(from_account=PAYER, to_account=a_sub_account(), amount="100.00")

    assert (answer.status_code, answer.json()["code"]) == (422, "insufficient_funds")
    assert bank.balance_of(PAYER) == "99.99"


def test_an_amount_sent_as_a_json_number_is_refused(bank: servers.BankSimulator) -> None:
    bank.open_account(PAYER, "江南建工集团有限公司", "1000.00")

    answer = bank.control(
        "POST",
        "/transfers",
        {"from_account": PAYER, "to_account": a_sub_account(), "amount": 100.1},
    )

    assert answer.status_code == 400
    assert bank.balance_of(PAYER) == "1000.00"


def test_the_platform_side_refuses_an_unsigned_or_wrongly_signed_request(
    bank: servers.BankSimulator,
) -> None:
    unsigned = requests.get(bank.url + "/statement", timeout=5)
    wrong = requests.get(
        bank.url + "/statement",
        headers=signatures.headers(method="GET", path="/statement", body=b"", secret="guess"),
        timeout=5,
    )

    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "bad_signature")
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "signature does not match")


def test_the_simulator_refuses_a_replayed_request(bank: servers.BankSimulator) -> None:
    headers = signatures.headers(method="GET", path="/balance", body=b"", secret=BANK_SECRET)

    first = requests.get(bank.url + "/balance", headers=headers, timeout=5)
    again = requests.get(bank.url + "/balance", headers=headers, timeout=5)

    assert first.status_code == 200
    assert again.status_code == 401 and "replay" in again.json()["detail"]


def test_the_simulator_and_the_platform_sign_the_same_bytes_alike() -> None:
    body = json.dumps({"key": "k-1", "amount": "10.00"}).encode()
    fields = {"timestamp": "1767225600", "nonce": "0123456789abcdef", "method": "POST"}

    ours = signatures.sign(secret="s", path="/payouts", body=body, **fields)
    theirs = simulator_signing.signature(
        "s",
        simulator_signing.signed_bytes(
            fields["timestamp"], fields["nonce"], "POST", "/payouts", body
        ),
    )

    assert ours == theirs
    assert len(ours) == 64


def test_the_documented_signature_example_holds() -> None:
    # docs/bank-interface.md, "A worked example": a real bank checks its code against it.
    body = (
        b'{"key":"5f0c2d9e-1","to_account":"6222000011110001",'
        b'"to_name":"\xe6\xb1\x9f\xe5\x8d\x97\xe5\xbb\xba\xe5\xb7\xa5",'
        b'"amount":"800000.00","memo":"refund"}'
    )
    signature = signatures.sign(
        secret="demo-bank-secret-not-for-production",
        timestamp="1767225600",
        nonce="4f1c9a0e7b3d2c58a6e1f0b9d7c3a214",
        method="POST",
        path="/payouts",
        body=body,
    )

    assert signature == DOCUMENTED_SIGNATURE


DOCUMENTED_SIGNATURE = "094d6c441a9a342991bba511fe22617b4e56ce5b1e2453c6a0ed83401cd87a48"


def test_a_state_file_keeps_the_accounts_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "bank-state.json"
    options = ("--state", str(state))
    with servers.bank_simulator(tmp_path, secret=BANK_SECRET, extra=options) as first:
        first.open_account(PAYER, "江南建工集团有限公司", "1000.00")
        reference = first.transfer(
            from_account=PAYER, to_account=a_sub_account(), amount="10.00"
        ).json()["reference"]

    with servers.bank_simulator(tmp_path, secret=BANK_SECRET, extra=options) as second:
        assert second.balance_of(PAYER) == "990.00"
        assert [line.reference for line in adapter(second).statement()] == [reference]


class Platform(BaseHTTPRequestHandler):
    """A platform that fails the first callback and accepts the next ones."""

    answers: ClassVar[list[int]] = []
    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({**dict(self.headers.items()), "body": body.decode()})
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_a_callback_is_retried_until_accepted_and_signed_afresh_each_time() -> None:
    Platform.answers, Platform.seen = [503], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/deposits/bank/callback"
    deliverer = callbacks.Deliverer(
        callbacks.Settings(url=url, secret=BANK_SECRET, attempts=3, backoff=0.05), Faults()
    )
    line = Line(
        1, "REF-1", "credit", a_sub_account(), PAYER, "江南建工", Decimal("1.00"), clock.now(), ""
    )
    try:
        deliverer.send(line)
        deadline = time.monotonic() + 10
        while deliverer.delivered == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        server.shutdown()

    assert len(Platform.seen) == 2
    first, second = Platform.seen
    assert first["X-Bank-Nonce"] != second["X-Bank-Nonce"]
    for attempt in (first, second):
        simulator_signing.Verifier(BANK_SECRET, 300).verify(
            attempt, "POST", "/deposits/bank/callback", attempt["body"].encode()
        )
        assert json.loads(attempt["body"])["reference"] == "REF-1"


def test_a_callback_the_platform_refuses_for_good_is_not_retried() -> None:
    Platform.answers, Platform.seen = [409, 200], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cb"
    deliverer = callbacks.Deliverer(
        callbacks.Settings(url=url, secret=BANK_SECRET, attempts=3, backoff=0.05), Faults()
    )
    line = Line(1, "REF-1", "credit", a_sub_account(), PAYER, "", Decimal("1.00"), clock.now(), "")
    try:
        deliverer._with_retries(line.reference, json.dumps(line.as_json()).encode())
    finally:
        server.shutdown()

    assert len(Platform.seen) == 1 and deliverer.delivered == 0


def test_the_adapter_signs_the_path_under_the_gateways_prefix() -> None:
    sent: dict[str, Any] = {}

    class Session:
        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            sent.update(method=method, url=url, **kwargs)
            raise requests.ConnectionError("recorded, not sent")

    client = HttpBank(
        url="https://bank.example/ggzy/",
        secret=BANK_SECRET,
        timeout=1,
        session=Session(),  # type: ignore[arg-type]
    )
    with pytest.raises(BankUnavailable):
        client.payout_status(key="5f0c2d9e-1")

    assert sent["url"] == "https://bank.example/ggzy/payouts/5f0c2d9e-1"
    simulator_signing.Verifier(BANK_SECRET, 300).verify(
        sent["headers"], "GET", "/ggzy/payouts/5f0c2d9e-1", b""
    )
