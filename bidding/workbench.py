"""What bidding puts on a bidder's workbench (accounts/workbench.py): its live bids, each
against its section's deadline, and its signed receipts. Not its uploads still in progress:
the security test that no page depends on how many have bid has the other bidder start one,
and its pages must not change either (docs/workbench.md).

Only the bidder's own organisation's bids (bidding.access: never another's) —
before the deadline nobody else learns of them [E21, E27]; no provider for any other role
reads them."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from bidding import access
from bidding.models import BidStatus
from trading.transitions import BEFORE_DEADLINE

LISTED_MAX = 20


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    items: list[workbench.Item] = []
    bids = list(access.own_bids(person).order_by("-received_at")[:LISTED_MAX])
    for bid in bids:
        if bid.status != BidStatus.RECEIVED:
            continue
        section = bid.section
        url = reverse("bidding:receipt", kwargs={"pk": bid.pk})
        title = _("Our bid for %(code)s") % {"code": section.code}
        received = _("Received %(time)s: download the signed receipt.") % {
            "time": workbench.moment(bid.received_at)
        }
        if section.status in BEFORE_DEADLINE and section.bid_deadline > now:
            state = workbench.state_of(section.bid_deadline, now, can_be_late=False)
            detail = f"{received} " + _("You may replace or withdraw it until the deadline.")
            items.append(workbench.Item(title, url, state, section.bid_deadline, detail))
        else:
            items.append(workbench.Item(title, url, workbench.INFO, None, received))
    withdrawn = [
        workbench.Item(
            _("Withdrawal receipt for %(code)s") % {"code": bid.section.code},
            reverse("bidding:receipt", kwargs={"pk": bid.pk}),
            workbench.INFO,
            None,
            _("Withdrawn %(time)s.") % {"time": workbench.moment(bid.withdrawn_at)},
        )
        for bid in bids
        if bid.status == BidStatus.WITHDRAWN
    ]
    return [
        workbench.Panel(
            "bids",
            _("Our bids and receipts"),
            items + withdrawn,
            order=15,
            empty=_("No bid yet: seal one with ggzy-bid or on the upload page."),
            link=(reverse("bidding:my_bids"), _("My bids")),
        )
    ]


def register() -> None:
    workbench.register(bidder_panels, roles=[Role.BIDDER])
