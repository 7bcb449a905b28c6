"""Money as a person reads it (issue 13): yuan to the fen with thousands separators
(``1,234,567.89``), and the capital figures (大写) that banks, receipts and notices state
beside the figure so that it cannot be altered by adding a digit (``壹佰万肆仟元伍角``).

The capital figures follow the People's Bank of China's rules for writing amounts (支付结算
办法 附件一): ``元整`` after whole yuan, one ``零`` for a run of zeros inside the number, none
needed where the ten-thousands or units digit is zero before a non-zero thousands or jiao
digit (``1,004,000.50`` → ``壹佰万肆仟元伍角``). Pages use the ``yuan`` / ``yuan_in_words``
filters (ggzy/templatetags/money.py)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import cn2an

CENT = Decimal("0.01")


def as_yuan(amount: Any) -> Decimal | None:
    """The amount to the fen, or None for no amount (None, "", not a number)."""
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return None
    return value.quantize(CENT) if value.is_finite() else None


def yuan(amount: Any) -> str:
    """``1,234,567.89``; empty for no amount."""
    value = as_yuan(amount)
    return "" if value is None else f"{value:,.2f}"


def in_words(amount: Any) -> str:
    """``捌拾万元整`` (``零元整``, ``负伍元整``); empty for no amount, and for an amount finer
    than the fen (never rounded: the figure beside it shows every digit)."""
    value = as_yuan(amount)
    if value is None or value != Decimal(str(amount)):
        return ""
    return str(cn2an.an2cn(str(value), "rmb"))
