"""The bank's statement lines as they travel — a JSON object (feed and callback) or a CSV row
(statement file) with the same eight fields (docs/bank-interface.md, "Statement lines").

Parsing is strict and bounded: an amount is a string of yuan with at most two decimals
(never a JSON number: a float cannot say 0.10 exactly), a time has an offset, every text fits
the column that keeps it. A bad line is refused with the field at fault; it never stops the
good lines around it. ``Imported`` is what either import path (``statement``,
``statement_copy``) reports of a batch of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from deposits.bank import StatementLine

FIELDS = (
    "reference",
    "direction",
    "account",
    "counterparty_account",
    "counterparty_name",
    "amount",
    "booked_at",
    "memo",
)
LIMITS = {
    "reference": 64,
    "account": 34,
    "counterparty_account": 34,
    "counterparty_name": 200,
    "memo": 200,
}
MAX_CSV_ROWS = 500_000  # a year of a busy centre's arrivals and refunds
_AMOUNT = re.compile(r"\d{1,16}(\.\d{1,2})?")
_REFERENCE = re.compile(r"[A-Za-z0-9_.:-]+")
CENT = Decimal("0.01")


@dataclass
class Imported:
    """What an import did: lines new to the platform, lines it knew, lines refused."""

    new: int = 0
    known: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)

    @property
    def read(self) -> int:
        return self.new + self.known + len(self.errors)

    def as_data(self) -> dict[str, object]:
        return {"new": self.new, "known": self.known, "errors": len(self.errors)}


class LineError(ValueError):
    """One line refused: the message names the field and the rule (bilingual)."""


def parse_line(data: Mapping[str, Any]) -> StatementLine:
    """One statement line from its eight fields (strings), or ``LineError``."""
    text = {name: _text(data, name) for name in LIMITS}
    if not text["reference"] or not _REFERENCE.fullmatch(text["reference"]):
        raise LineError(
            "流水号缺失或含非法字符 / reference: required, letters, digits and - _ . : only"
        )
    direction = data.get("direction")
    if direction not in ("credit", "debit"):
        raise LineError("方向须为 credit 或 debit / direction: credit or debit")
    if direction == "credit" and not text["account"]:
        raise LineError("入账须有收款子账号 / account: required on a credit line")
    if not text["counterparty_account"]:
        raise LineError("对方账号缺失 / counterparty_account: required")
    return StatementLine(
        reference=text["reference"],
        direction=_direction(direction),
        account=text["account"],
        counterparty_account=text["counterparty_account"],
        counterparty_name=text["counterparty_name"],
        amount=_amount(data.get("amount")),
        booked_at=_moment(data.get("booked_at")),
        memo=text["memo"],
    )


def line_to_json(line: StatementLine) -> dict[str, str]:
    return {
        "reference": line.reference,
        "direction": line.direction,
        "account": line.account,
        "counterparty_account": line.counterparty_account,
        "counterparty_name": line.counterparty_name,
        "amount": format(line.amount.quantize(CENT), "f"),
        "booked_at": line.booked_at.isoformat(),
        "memo": line.memo,
    }


def parse_json(lines: Iterable[Any]) -> tuple[list[StatementLine], list[tuple[int, str]]]:
    """The lines of a feed page; the bad ones as (position from 1, why)."""
    good: list[StatementLine] = []
    bad: list[tuple[int, str]] = []
    for position, item in enumerate(lines, start=1):
        try:
            if not isinstance(item, dict):
                raise LineError("不是 JSON 对象 / not a JSON object")
            good.append(parse_line(item))
        except LineError as exc:
            bad.append((position, str(exc)))
    return good, bad


def parse_csv(rows: Iterable[str]) -> Iterator[tuple[int, StatementLine | LineError]]:
    """Each data row of a statement file with its line number in the file: the parsed line,
    or why it was refused. The header row names the columns (any order, all eight)."""
    reader = csv.DictReader(_without_bom(rows), strict=True)
    missing = set(FIELDS) - set(reader.fieldnames or ())
    if missing:
        yield (
            1,
            LineError(f"表头缺少列 / the header lacks columns: {', '.join(sorted(missing))}"),
        )
        return
    count = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, LineError(f"CSV 格式错误 / malformed CSV: {exc}")
            return
        count += 1
        if count > MAX_CSV_ROWS:
            yield (
                reader.line_num,
                LineError(
                    f"超过 {MAX_CSV_ROWS} 行，请分批导入 / over {MAX_CSV_ROWS} rows: split the file"
                ),
            )
            return
        if None in row or any(value is None for value in row.values()):
            yield reader.line_num, LineError("列数不符 / the row has the wrong number of columns")
            continue
        try:
            yield reader.line_num, parse_line(row)
        except LineError as exc:
            yield reader.line_num, exc


def _without_bom(rows: Iterable[str]) -> Iterator[str]:
    first = True
    for row in rows:
        yield row.removeprefix("\ufeff") if first else row
        first = False


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise LineError(f"{name} 须为文本 / {name}: must be text")
    value = value.strip()
    if len(value) > LIMITS[name] or any(ord(char) < 32 for char in value):
        raise LineError(
            f"{name} 超过 {LIMITS[name]} 字符或含控制字符 / {name}: at most {LIMITS[name]} "
            "characters, no control characters"
        )
    return value


def _amount(value: Any) -> Decimal:
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value.strip()):
        raise LineError(
            f"金额 {str(value)[:20]!r} 无效，须为最多两位小数的字符串 / amount {str(value)[:20]!r}: "
            'a string of yuan with at most two decimals, e.g. "1000.00"'
        )
    amount = Decimal(value.strip()).quantize(CENT)
    if amount <= 0:
        raise LineError("金额须大于零 / amount: must be more than zero")
    return amount


def _moment(value: Any) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise LineError(
            f"记账时间 {str(value)[:40]!r} 须为带时区的 ISO 8601 / booked_at {str(value)[:40]!r}: "
            "ISO 8601 with an offset, e.g. 2026-05-01T09:30:00+08:00"
        )
    return moment


def _direction(value: str) -> Literal["credit", "debit"]:
    return "credit" if value == "credit" else "debit"
