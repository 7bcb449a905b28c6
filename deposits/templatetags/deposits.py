"""Money on pages: ``{{ amount|yuan }}`` (thousands separators, two decimals),
``{{ amount|yuan_in_words }}`` (人民币大写, for the payment notice and the refund lines),
``{{ number|in_fours }}`` (a sub-account number grouped for reading aloud and typing), and
``{% deposit_state section %}``: the signed-in bidder's own deposit state in one section,
for pages of other apps (bidding's "My bids") that may not import deposits in Python."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Role
from deposits import positions
from ggzy.templatetags.money import yuan, yuan_in_words
from trading.models import Section

register = template.Library()
# The money filters are ggzy's (one way on every page); kept here for templates that load this.
register.filter("yuan", yuan)
register.filter("yuan_in_words", yuan_in_words)


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
