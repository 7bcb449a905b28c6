"""The simulator's HTTP face: routes for customers, for the platform (signed) and for the
tests' control calls. JSON in and out; bodies at most 64 KiB."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from simulators.bank import formats
from simulators.bank.accounts import Books, Refusal
from simulators.bank.callbacks import Deliverer
from simulators.bank.faults import Faults
from simulators.bank.formats import Invalid
from simulators.bank.signing import Refused, Verifier

log = logging.getLogger("simulators.bank")
MAX_BODY = 64 * 1024
PAGE_DEFAULT, PAGE_MAX = 1000, 10_000
KEY_LIMIT = 80


class Bank:
    """Everything a request handler needs."""

    def __init__(
        self, books: Books, verifier: Verifier, deliverer: Deliverer, faults: Faults
    ) -> None:
        self.books, self.verifier, self.deliverer, self.faults = books, verifier, deliverer, faults


class Answer(Exception):
    """An early answer (refusal) from inside a route."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.body = status, {"code": code, "detail": detail}


Route = Callable[["Handler", dict[str, list[str]], bytes], tuple[int, Any]]


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "ggzy-bank-simulator/1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # --- plumbing ------------------------------------------------------------------
    @property
    def bank(self) -> Bank:
        return self.server.bank

    def _dispatch(self, method: str) -> None:
        target = urlsplit(self.path)
        try:
            body = self._body()
            route, signed, tail = _route(method, target.path)
            if signed:
                self.bank.verifier.verify(self.headers, method, self.path, body)  # type: ignore[arg-type]
            query = parse_qs(target.query, keep_blank_values=True)
            if tail:
                query["_tail"] = [tail]
            status, payload = route(self, query, body)
        except Answer as answer:
            status, payload = answer.status, answer.body
        except Refused as refused:
            status, payload = 401, {"code": "bad_signature", "detail": str(refused)}
        except Refusal as refusal:
            status, payload = refusal.status, {"code": refusal.code, "detail": refusal.detail}
        except Invalid as invalid:
            status, payload = 400, {"code": "invalid", "detail": str(invalid)}
        if isinstance(payload, str):
            self._send(status, payload.encode(), "text/csv; charset=utf-8")
        else:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self._send(status, data, "application/json")

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            raise Answer(400, "invalid", "Content-Length must be a number")
        if int(length) > MAX_BODY:
            raise Answer(413, "too_large", f"request body over {MAX_BODY} bytes")
        return self.rfile.read(int(length))

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- customer side -----------------------------------------------------------------
    def transfer(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        data = _json(body)
        amount = formats.amount(data.get("amount"))
        line = self.bank.books.transfer(
            formats.text(data.get("from_account"), "from_account", limit=34),
            formats.text(data.get("from_name"), "from_name", limit=200, required=False),
            formats.text(data.get("to_account"), "to_account", limit=34),
            amount,
            formats.text(data.get("memo"), "memo", limit=200, required=False),
        )
        self.bank.deliverer.send(line)
        return 201, line.as_json()

    # --- platform side (signed) ----------------------------------------------------------
    def statement(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        self._statement_fault()
        since, after, limit = _statement_query(query)
        lines, following = self.bank.books.statement(since, after, limit)
        return 200, {
            "account": self.bank.books.collection_account,
            "lines": [line.as_json() for line in lines],
            "next_cursor": str(following) if following is not None else None,
        }

    def statement_csv(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        self._statement_fault()
        since, _after, _limit = _statement_query(query)
        lines, _next = self.bank.books.statement(since, 0, len(self.bank.books.lines) + 1)
        return 200, formats.csv_text(line.as_json() for line in lines)

    def _statement_fault(self) -> None:
        if self.bank.faults.take("statement"):
            raise Answer(500, "fault", "simulated server error")

    def payout(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        data = _json(body)
        key = _key(data.get("key"))
        amount = formats.amount(data.get("amount"))
        to_account = formats.text(data.get("to_account"), "to_account", limit=34)
        to_name = formats.text(data.get("to_name"), "to_name", limit=200, required=False)
        memo = formats.text(data.get("memo"), "memo", limit=200, required=False)
        fault = self.bank.faults.take("payout")
        if fault and fault.mode == "error":
            raise Answer(500, "fault", "simulated server error: nothing was done")
        refuse = fault.reason if fault and fault.mode == "refuse" else None
        record, _created = self.bank.books.payout(
            key, to_account, to_name, amount, memo, refuse_reason=refuse
        )
        if fault and fault.mode == "timeout":
            # The money has moved; the platform gives up waiting before it hears so.
            time.sleep(fault.seconds)
        return 200, record.as_json()

    def payout_status(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        key = _key(unquote(query["_tail"][0]))
        record = self.bank.books.payouts.get(key)
        if record is None:
            raise Answer(404, "not_found", f"no payout with key {key}")
        return 200, record.as_json()

    def balance(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        books = self.bank.books
        return 200, {
            "account": books.collection_account,
            "balance": formats.money(books.collection_balance),
        }

    # --- control (tests and the demo) ---------------------------------------------------
    def health(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        return 200, {
            "ok": True,
            "collection_account": self.bank.books.collection_account,
            "lines": len(self.bank.books.lines),
            "callbacks_delivered": self.bank.deliverer.delivered,
        }

    def open_account(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        data = _json(body)
        balance = data.get("balance", "0.00")
        opening = Decimal(0) if balance in ("0", "0.00") else formats.amount(balance, "balance")
        customer = self.bank.books.open_account(
            formats.text(data.get("number"), "number", limit=34),
            formats.text(data.get("name"), "name", limit=200),
            opening,
        )
        return 201, _customer(customer.number, customer.name, customer.balance)

    def account(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        number = unquote(query["_tail"][0])
        customer = self.bank.books.customers.get(number)
        if customer is None:
            raise Answer(404, "not_found", f"no account {number}")
        return 200, _customer(customer.number, customer.name, customer.balance)

    def set_faults(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        try:
            self.bank.faults.set(_json(body))
        except ValueError as exc:
            raise Answer(400, "invalid", str(exc)) from exc
        return 200, self.bank.faults.describe()

    def reset_faults(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        self.bank.faults.reset()
        return 200, self.bank.faults.describe()

    def show_faults(self, query: dict[str, list[str]], body: bytes) -> tuple[int, Any]:
        return 200, self.bank.faults.describe()


# (method, path) → (route, signed); a path ending in "/" takes one more segment (the tail).
ROUTES: dict[tuple[str, str], tuple[Route, bool]] = {
    ("POST", "/transfers"): (Handler.transfer, False),
    ("GET", "/statement"): (Handler.statement, True),
    ("GET", "/statement.csv"): (Handler.statement_csv, True),
    ("POST", "/payouts"): (Handler.payout, True),
    ("GET", "/payouts/"): (Handler.payout_status, True),
    ("GET", "/balance"): (Handler.balance, True),
    ("GET", "/_control/health"): (Handler.health, False),
    ("POST", "/_control/accounts"): (Handler.open_account, False),
    ("GET", "/_control/accounts/"): (Handler.account, False),
    ("GET", "/_control/faults"): (Handler.show_faults, False),
    ("POST", "/_control/faults"): (Handler.set_faults, False),
    ("POST", "/_control/faults/reset"): (Handler.reset_faults, False),
}


def _route(method: str, path: str) -> tuple[Route, bool, str]:
    if (method, path) in ROUTES:
        route, signed = ROUTES[method, path]
        return route, signed, ""
    head, _slash, tail = path.rpartition("/")
    if tail and (method, head + "/") in ROUTES:
        route, signed = ROUTES[method, head + "/"]
        return route, signed, tail
    if any(known == path for _method, known in ROUTES):
        raise Answer(405, "method_not_allowed", f"{method} is not allowed on {path}")
    raise Answer(404, "not_found", f"no route {path}")


def _json(body: bytes) -> dict[str, Any]:
    try:
        # Amounts travel as strings; a JSON number is refused by the field checks.
        data = json.loads(body or b"{}", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Answer(400, "invalid", "the body is not JSON") from exc
    if not isinstance(data, dict):
        raise Answer(400, "invalid", "the body must be a JSON object")
    return data


def _key(value: Any) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
    if not isinstance(value, str) or not 1 <= len(value) <= KEY_LIMIT or set(value) - allowed:
        raise Invalid(f"key: 1 to {KEY_LIMIT} characters of A-Z a-z 0-9 - _ . :")
    return value


def _statement_query(query: dict[str, list[str]]) -> tuple[Any, int, int]:
    since = formats.moment(query["since"][0]) if query.get("since", [""])[0] else None
    cursor = query.get("cursor", ["0"])[0] or "0"
    limit = query.get("limit", [str(PAGE_DEFAULT)])[0]
    if not cursor.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= PAGE_MAX:
        raise Invalid(f"cursor: as given by next_cursor; limit: 1 to {PAGE_MAX}")
    return since, int(cursor), int(limit)


def _customer(number: str, name: str, balance: Decimal) -> dict[str, str]:
    return {"number": number, "name": name, "balance": formats.money(balance)}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], bank: Bank) -> None:
        super().__init__(address, Handler)
        self.bank = bank
