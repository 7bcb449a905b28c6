"""Money on pages: ``{{ amount|yuan }}`` (thousands separators, two decimals),
``{{ amount|yuan_in_words }}`` (人民币大写, for the payment notice and the refund lines),
``{{ number|in_fours }}`` (a sub-account number grouped for reading aloud and typing), and
``{% deposit_state section %}``: the signed-in bidder's own deposit state in one section,
for pages of other apps (bidding's "My bids") that may not import deposits in Python."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import cn2an
from django import template

from accounts.models import Role
from deposits import positions
from trading.models import Section

register = template.Library()
CENT = Decimal("0.01")


def _decimal(amount: Any) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        return Decimal(str(amount)).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


@register.filter
def yuan(amount: Any) -> str:
    """``1,234,567.89``; empty for no amount."""
    value = _decimal(amount)
    return "" if value is None else f"{value:,.2f}"


@register.filter
def yuan_in_words(amount: Any) -> str:
    """``捌拾万元整``: the capital-figure amount banks and receipts use (大写), so a figure
    cannot be altered by adding a digit."""
    value = _decimal(amount)
    if value is None:
        return ""
    return str(cn2an.an2cn(str(value), "rmb"))


@register.filter
def in_fours(number: Any) -> str:
    """``8866 1234 5678 9012``: groups of four, as on a bank card."""
    text = str(number or "")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@register.inclusion_tag("deposits/_state.html", takes_context=True)
def deposit_state(context: template.Context, section: Section) -> dict[str, Any]:
    """The signed-in bidder's own position in ``section`` (never another organisation's)."""
    user = context.get("user")
    organisation = getattr(user, "organisation", None)
    own = user is not None and user.is_authenticated and user.role == Role.BIDDER
    return {
        "section": section,
        "position": positions.of(section, organisation) if own and organisation else None,
    }
