"""The bank adapter over HTTP (docs/bank-interface.md): every request signed with HMAC-SM3,
amounts as strings (a float never touches money), timeouts from settings.

No answer — a timeout, a refused connection, a 5xx — raises ``BankUnavailable``: the outcome
is unknown and the caller asks again with the same key. A 4xx raises ``BankRejected`` (a
``BankUnavailable`` too): the bank did nothing with that request; it says why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from django.conf import settings

from deposits import signatures
from deposits.bank import Bank, BankUnavailable, Payout, StatementLine
from deposits.statement_format import CENT, parse_json

MAX_PAGES = 1_000  # × up to 1,000 lines a page: a statement this long is split by `since`
MAX_ANSWER = 16 * 1024 * 1024


class BankRejected(BankUnavailable):
    """The bank answered 4xx: it refused the request itself (signature, format, a payout key
    reused for a different payout) and did nothing."""


class MalformedStatement(BankUnavailable):
    """Some statement lines could not be read; ``lines`` holds the good ones, ``errors`` the
    position and reason of each bad one (nothing is dropped silently)."""

    def __init__(self, lines: list[StatementLine], errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} statement line(s) could not be read")
        self.lines, self.errors = lines, errors


class HttpBank:
    def __init__(
        self,
        *,
        url: str,
        secret: str,
        timeout: float,
        session: requests.Session | None = None,
        page_size: int = 1000,
    ) -> None:
        self.url = url.rstrip("/")
        self.page_size = page_size
        self._prefix = urlsplit(self.url).path.rstrip("/")
        self._secret = secret
        self._timeout = timeout
        self._session = session or requests.Session()

    def statement(self, *, since: dt.datetime | None = None) -> list[StatementLine]:
        lines: list[StatementLine] = []
        errors: list[tuple[int, str]] = []
        cursor: str | None = None
        for _page in range(MAX_PAGES):
            query = {"since": since.isoformat()} if since else {}
            query["limit"] = str(self.page_size)
            if cursor:
                query["cursor"] = cursor
            answer = self._json("GET", "/statement", query=query)
            items = answer.get("lines")
            if not isinstance(items, list):
                raise BankRejected("the statement answer has no list of lines")
            good, bad = parse_json(items)
            errors += [(len(lines) + position, why) for position, why in bad]
            lines += good
            cursor = answer.get("next_cursor")
            if not cursor:
                break
        else:
            raise BankUnavailable(f"the statement runs over {MAX_PAGES} pages: ask with `since`")
        if errors:
            raise MalformedStatement(lines, errors)
        return lines

    def payout(
        self, *, key: str, to_account: str, to_name: str, amount: Decimal, memo: str
    ) -> Payout:
        if not isinstance(amount, Decimal):
            raise TypeError("a payout amount is a Decimal, never a float")
        body = {
            "key": key,
            "to_account": to_account,
            "to_name": to_name,
            "amount": format(amount.quantize(CENT), "f"),
            "memo": memo,
        }
        return _payout(self._json("POST", "/payouts", body=body), key)

    def payout_status(self, *, key: str) -> Payout | None:
        answer = self._json("GET", f"/payouts/{quote(key, safe='')}", missing_ok=True)
        return None if answer is None else _payout(answer, key)

    def balance(self) -> Decimal:
        """The collection account's balance at the bank (it may hold more than the books:
        an opening balance, the platform's own money)."""
        return _decimal(self._json("GET", "/balance").get("balance"))

    def _json(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        target = self._prefix + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        headers = signatures.headers(method=method, path=target, body=data, secret=self._secret)
        if body is not None:
            headers["Content-Type"] = "application/json"
        base = self.url[: len(self.url) - len(self._prefix)] if self._prefix else self.url
        try:
            response = self._session.request(
                method,
                base + target,
                data=data or None,
                headers=headers,
                timeout=self._timeout,
                stream=True,
            )
            with response:
                content = _bounded(response)
        except requests.Timeout as exc:
            raise BankUnavailable(f"no answer within {self._timeout:g} s") from exc
        except requests.RequestException as exc:
            raise BankUnavailable(f"cannot reach the bank: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise BankUnavailable(f"the bank answered {response.status_code}")
        if response.status_code == 404 and missing_ok:
            return None
        if len(content) > MAX_ANSWER:
            raise BankRejected("the bank's answer is too large")
        if response.status_code >= 400:
            raise BankRejected(f"the bank refused ({response.status_code}): {_detail(content)}")
        try:
            return json.loads(content, parse_float=_no_float)
        except ValueError as exc:
            raise BankRejected(f"the bank's answer is not JSON with string amounts: {exc}") from exc


def _bounded(response: requests.Response) -> bytes:
    # iter_content turns a timeout while reading the body into a requests exception.
    content = bytearray()
    for chunk in response.iter_content(64 * 1024):
        content += chunk
        if len(content) > MAX_ANSWER:
            break
    return bytes(content)


def _payout(answer: Any, key: str) -> Payout:
    if not isinstance(answer, dict) or answer.get("key") != key:
        raise BankRejected(f"the bank answered about another payout than {key}")
    state = answer.get("state")
    if state == "done":
        reference = answer.get("reference")
        if not isinstance(reference, str) or not reference:
            raise BankRejected(f"payout {key} is done but has no bank reference")
        return Payout(key=key, state="done", reference=reference)
    if state == "failed":
        return Payout(key=key, state="failed", reason=str(answer.get("reason", ""))[:200])
    raise BankRejected(f"payout {key} has an unknown state {str(state)[:20]!r}")


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise BankRejected("an amount from the bank is not a string")
    return Decimal(value)


def _no_float(value: str) -> Any:
    raise ValueError(f"a JSON number ({value[:20]}) where amounts travel as strings")


def _detail(content: bytes) -> str:
    try:
        answer = json.loads(content)
    except ValueError:
        return ""
    if isinstance(answer, dict):
        return f"{answer.get('code', '')} {answer.get('detail', '')}".strip()[:200]
    return ""


# --- the adapter in use ---------------------------------------------------------------
# Tests may put a fake here (``use``); otherwise the bank comes from settings.
_override: Bank | None = None


def bank() -> Bank:
    if _override is not None:
        return _override
    return HttpBank(
        url=settings.BANK_URL,
        secret=settings.BANK_SECRET,
        timeout=settings.BANK_TIMEOUT_SECONDS,
    )


@contextmanager
def use(replacement: Bank) -> Iterator[Bank]:
    """``bank()`` answers ``replacement`` inside the block."""
    global _override
    previous, _override = _override, replacement
    try:
        yield replacement
    finally:
        _override = previous
