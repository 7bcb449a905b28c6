"""Money, times and statement lines as they travel: amounts as strings with two decimals
(never JSON numbers), times as ISO 8601 with an offset, the CSV columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
CENT = Decimal("0.01")
# Up to 9,999,999,999,999.99 yuan; no sign, no exponent, no thousands separator.
AMOUNT = re.compile(r"\d{1,13}(\.\d{1,2})?")
COLUMNS = (
    "reference",
    "direction",
    "account",
    "counterparty_account",
    "counterparty_name",
    "amount",
    "booked_at",
    "memo",
)


class Invalid(ValueError):
    """A request field the bank refuses; the message names the field and the rule."""


def amount(value: Any, field: str = "amount") -> Decimal:
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        raise Invalid(f'{field}: a string of yuan with at most two decimals, e.g. "1000.00"')
    parsed = Decimal(value).quantize(CENT)
    if parsed <= 0:
        raise Invalid(f"{field}: must be more than zero")
    return parsed


def money(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


def text(value: Any, field: str, *, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{field}: required text")
    if len(value) > limit or any(ord(char) < 32 for char in value):
        raise Invalid(f"{field}: at most {limit} characters, no control characters")
    return value.strip()


def moment(value: str, field: str = "since") -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(
            f"{field}: ISO 8601 with an offset, e.g. 2026-05-01T00:00:00%2B08:00 "
            "(percent-encode the '+')"
        ) from exc
    if parsed.tzinfo is None:
        raise Invalid(f"{field}: give the offset (+08:00 or Z)")
    return parsed


def iso(moment_: dt.datetime) -> str:
    return moment_.astimezone(BEIJING).isoformat(timespec="microseconds")


def csv_text(lines: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for line in lines:
        writer.writerow({column: line[column] for column in COLUMNS})
    return out.getvalue()
