"""What realtime puts on the workbench (accounts/workbench.py): the opening halls of today
and those still in session — to host (centre staff), to watch (regulator), to run (the
tenderee) or to attend with one's own bid (a bidder; its bid is what calls it in).

Public facts only for everyone but the bidder: a section's code, name, opening time and the
hall's stage, as the halls page shows them (trading.access.sections_overseen_by); a bidder's
halls come from its own bids (bidding.access.own_bids) [E21, E27]."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from bidding import access as bidding_access
from bidding.models import BidStatus
from ggzy_core.times import BEIJING
from realtime.models import Hall, HallStage
from trading import access as trading_access
from trading.models import Section

LISTED_MAX = 20
ENDED = (HallStage.CLOSED, HallStage.FAILED)
# A hall is made when its section is published and waits for the opening time.
NOT_IN_SESSION = (HallStage.WAITING, *ENDED)


def _today_or_in_session(now: dt.datetime) -> Q:
    """Sections opening today (Beijing day) or whose hall is still in session."""
    day = workbench.today(now)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=BEIJING)
    end = start + dt.timedelta(days=1)
    in_session = Hall.objects.exclude(stage__in=NOT_IN_SESSION).values("section")
    return Q(bid_deadline__gte=start, bid_deadline__lt=end) | Q(pk__in=in_session)


def _items(sections: list[Section], now: dt.datetime, verb: str) -> list[workbench.Item]:
    halls = {hall.section_id: hall for hall in Hall.objects.filter(section__in=sections)}
    items = []
    for section in sections:
        hall = halls.get(section.pk)
        detail: str
        if hall is not None and hall.stage in ENDED:
            state, detail = workbench.INFO, str(HallStage(hall.stage).label)
        elif section.bid_deadline <= now:
            stage = str(HallStage(hall.stage).label) if hall else _("Opening")
            state, detail = workbench.DUE_TODAY, _("In session: %(stage)s") % {"stage": stage}
        else:
            state, detail = (
                workbench.state_of(section.bid_deadline, now),
                _("Opens at the deadline"),
            )
        items.append(
            workbench.Item(
                verb % {"code": section.code, "name": section.name},
                reverse("realtime:hall", kwargs={"code": section.code}),
                state,
                section.bid_deadline,
                detail,
            )
        )
    return items


def _panel(items: list[workbench.Item], *, halls_page: bool) -> list[workbench.Panel]:
    """The halls page lists the halls one hosts, watches or runs: not a bidder's."""
    return [
        workbench.Panel(
            "halls",
            _("Opening halls today"),
            items,
            order=5,
            empty=_("No opening today."),
            link=(reverse("realtime:halls"), _("Opening halls")) if halls_page else None,
        )
    ]


def overseer_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    sections = list(
        trading_access.sections_overseen_by(person).filter(_today_or_in_session(now))[:LISTED_MAX]
    )
    if person.role == Role.STAFF:
        verb = _("Host the opening of %(code)s %(name)s")
    elif person.role == Role.REGULATOR:
        verb = _("Watch the opening of %(code)s %(name)s")
    else:
        verb = _("Opening of %(code)s %(name)s")
    return _panel(_items(sections, now, verb), halls_page=True)


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    own = bidding_access.own_bids(person).filter(status=BidStatus.RECEIVED).values("section")
    sections = list(
        trading_access.public_sections()
        .filter(pk__in=own)
        .filter(_today_or_in_session(now))
        .order_by("bid_deadline", "pk")[:LISTED_MAX]
    )
    return _panel(
        _items(sections, now, _("Attend the opening of %(code)s %(name)s")), halls_page=False
    )


def register() -> None:
    workbench.register(overseer_panels, roles=[Role.STAFF, Role.REGULATOR, Role.TENDEREE])
    workbench.register(bidder_panels, roles=[Role.BIDDER])
