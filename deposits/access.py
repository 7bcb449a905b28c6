"""Who may see and decide what about deposits: the one access helper for deposits.

Paying a deposit tells that a bidder means to bid. Before a section's deadline only the
bidder's own organisation learns anything about its deposit, sub-account, guarantee or
refund in that section [E21, E27]; afterwards the section's overseers (the hosting centre's
staff, the supervising department) and its tenderee/agency see the section's deposits, and
the centre's staff decide on them. Money that names no section (paid to an unknown
sub-account) is the centre's to see at once: it reveals nothing about a section.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import OrganisationKind, Role
from deposits.models import Alert, BankLine, LineDirection, Refund
from ggzy import clock
from trading import access as trading_access
from trading.models import Section


def sealed(section: Section) -> bool:
    return clock.now() < section.bid_deadline


def is_bidder(user: Any) -> bool:
    organisation = getattr(user, "organisation", None) if user.is_authenticated else None
    return bool(organisation is not None and organisation.kind == OrganisationKind.BIDDER)


def oversees_money(user: Any) -> bool:
    """Centre staff and regulators (their deposit pages; each row still filtered below)."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or getattr(user, "role", "") in (Role.STAFF, Role.REGULATOR))
    )


def decides_money(user: Any) -> bool:
    """Centre staff act on money (review, refund, forfeit); regulators only read."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", "") == Role.STAFF)
    )


def sees_section(user: Any, section: Section) -> bool:
    """The section's deposits as a whole (the hall's bidder list, the staff's section page):
    its overseers and tenderee/agency, once the deadline has passed."""
    if sealed(section):
        return False
    project = section.project
    return trading_access.is_overseer(user, project) or trading_access.is_party(user, project)


def decides_section(user: Any, section: Section) -> bool:
    """Decisions about a section's deposits: its hosting centre's staff, after the deadline."""
    return (
        decides_money(user)
        and not sealed(section)
        and trading_access.is_overseer(user, section.project)
    )


def _unsealed_or_none(now: Any, via: str = "section") -> Q:
    return Q(**{f"{via}__isnull": True}) | Q(**{f"{via}__bid_deadline__lte": now})


def _overseen(user: Any, via: str = "section") -> Q:
    """Sections this person oversees (all of them for a superuser)."""
    if user.is_superuser:
        return Q()
    organisation_id = getattr(user, "organisation_id", None)
    none = Q(**{f"{via}__isnull": True})
    if user.role == Role.STAFF:
        return none | Q(**{f"{via}__project__centre_id": organisation_id})
    return none | Q(**{f"{via}__project__regulator_id": organisation_id})


def visible(user: Any, *, via: str = "section") -> Q:
    """Rows reached through ``via`` (a path to their section) that this person sees on the
    staff side: of no section, or of a section it oversees whose deadline has passed. Django
    admin filters every deposits model with it; ``Q(pk__in=[])`` for anyone else."""
    if not oversees_money(user):
        return Q(pk__in=[])
    return _unsealed_or_none(clock.now(), via) & _overseen(user, via)


def lines_for(user: Any) -> QuerySet[BankLine]:
    # A payout line names no section, but pays a refund that may: the refund of a bid
    # withdrawn before the deadline [R35] would tell who had paid. So a payout line shows
    # only once it is known to pay a refund this person may see; until its refund is booked
    # (the statement can bring the line first) nobody can tell whose it is, and it waits.
    shown_payouts = (
        Refund.objects.filter(visible(user)).exclude(bank_reference="").values("bank_reference")
    )
    return BankLine.objects.filter(visible(user)).exclude(
        Q(direction=LineDirection.DEBIT) & ~Q(reference__in=shown_payouts)
    )


def refunds_for(user: Any) -> QuerySet[Refund]:
    return Refund.objects.filter(visible(user))


def alerts_for(user: Any) -> QuerySet[Alert]:
    return Alert.objects.filter(visible(user))
