"""Who may see a hall and in which role: the one access helper for halls, used by every page,
API endpoint and websocket of realtime/. It builds on trading's rule for sections and
overseers (trading/access.py) rather than copying it.

Halls are public [E29]: anyone who may see the section sees its hall. What differs by role is
what one may do (host: move the hall on; bidder: sign in, decrypt, answer, object; tenderee:
answer objections) — never what one may see of a bid before the deadline: the hall has no
bidder before the deadline (the openings are made at the deadline), whoever looks.
"""

from __future__ import annotations

from typing import Any

from accounts import credit_access
from accounts.models import Role
from deposits import access as deposits_access
from realtime.models import Hall
from trading import access as trading_access


class ViewerRole:
    HOST = "host"  # the hosting centre's staff (and superusers)
    REGULATOR = "regulator"  # the section's supervising department
    TENDEREE = "tenderee"  # the tenderee's or the agency's people: they answer objections
    BIDDER = "bidder"  # a bidder's people, once the hall has its bid
    PUBLIC = "public"


def hall_for(user: Any, code: str) -> Hall:
    """The hall of a section the user may see (404 otherwise; Hall.DoesNotExist for a
    section that has none yet): halls are as visible as their section [E29]."""
    section = trading_access.section_for(user, {"code": code})
    return Hall.objects.select_related("section", "section__project").get(section=section)


def is_host(user: Any, hall: Hall) -> bool:
    """An overseer of the project who is not the regulator: the regulator watches [E49]."""
    return trading_access.is_overseer(user, hall.section.project) and (
        user.is_superuser or user.role != Role.REGULATOR
    )


def is_regulator(user: Any, hall: Hall) -> bool:
    return trading_access.is_overseer(user, hall.section.project) and user.role == Role.REGULATOR


def sees_deposits(user: Any, hall: Hall) -> bool:
    """Every bidder's deposit state in the bidder list: the host, the regulator and the
    tenderee (agency), once the deadline has passed (deposits.access decides)."""
    return deposits_access.sees_section(user, hall.section)


def sees_credit(user: Any, hall: Hall) -> bool:
    """The bidders' credit records in force, as a badge in the bidder list: the host and
    the regulator, if accounts.credit_access lets them read records in force (centre staff
    and regulators; not a superuser). Bidders, the tenderee and the public do not: the
    public dishonest list is where the public reads them (docs/credit.md)."""
    return (is_host(user, hall) or is_regulator(user, hall)) and credit_access.reads_in_force(user)


def answers_objections(user: Any, hall: Hall) -> bool:
    """The host or the tenderee (agency) answers objections on the spot [R44]."""
    return is_host(user, hall) or trading_access.can_manage(user, hall.section.project)


def viewer(user: Any, hall: Hall) -> dict[str, Any]:
    """The viewer's role in the hall, and a bidder's own bid (the snapshot's ``you``)."""
    if is_host(user, hall):
        return {"role": ViewerRole.HOST}
    if is_regulator(user, hall):
        return {"role": ViewerRole.REGULATOR}
    if trading_access.is_party(user, hall.section.project):
        return {"role": ViewerRole.TENDEREE}
    organisation_id = getattr(user, "organisation_id", None)
    opening = (
        hall.openings.filter(bid__organisation_id=organisation_id).first()
        if organisation_id
        else None
    )
    if opening is not None:
        return {"role": ViewerRole.BIDDER, "bid": str(opening.bid_id)}
    return {"role": ViewerRole.PUBLIC}
