"""The draw's pages as services: reading the sealed names (every reading ledgered, with a count
and never a name [L37]), checking a replay against the stored seats, and revealing the
secret once the result is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Person
from experts import draw as draws
from experts.models import Draw, DrawStatus, Exclusion, Seat
from ggzy.errors import DomainError
from supervision import ledger
from supervision.models import LedgerEntry
from trading.models import SectionStatus

# The result is set once the candidates are publicized [L37]: from then on the secret and
# the pool may be published so that anyone can replay the draw.
RESULT_SET = frozenset(
    {
        SectionStatus.PUBLICITY,
        SectionStatus.AWARDED,
        SectionStatus.CONTRACTED,
        SectionStatus.ARCHIVED,
    }
)


@dataclass(frozen=True)
class Replayed:
    matches: bool
    seats: int  # seats recomputed
    stored: int  # seats stored


def names_viewed(*, draw: Draw, actor: Person) -> list[Seat]:
    """The seats with their experts' names, for a person the access helper let see them.
    Showing them is ledgered (``experts.draw.names_viewed``: how many, not who)."""
    seats = list(draw.seats.select_related("expert", "need__specialty").order_by("order"))
    if seats:
        ledger.append(
            "experts.draw.names_viewed", actor=actor, target=draw, data={"seats": len(seats)}
        )
    return seats


def exclusions(draw: Draw) -> list[Exclusion]:
    return list(draw.exclusions.select_related("expert").order_by("reason", "expert__number"))


def replay_check(draw: Draw) -> Replayed:
    """Recompute the seats from the stored secret, anchor and pool and compare them with the
    seats stored; a DomainError before the draw is made or if the secret does not match the
    commitment."""
    if draw.status != DrawStatus.DRAWN:
        raise DomainError(
            "尚未抽取，无可复算 / Nothing to replay: the committee has not been drawn yet",
            code="conflict",
        )
    again = draws.replay(draw)
    kept = draws.stored(draw)
    return Replayed(matches=again == kept, seats=len(again), stored=len(kept))


def revealed(draw: Draw) -> bool:
    return LedgerEntry.objects.filter(
        action="experts.draw.revealed", target_type=draw._meta.label_lower, target_id=str(draw.pk)
    ).exists()


def may_reveal(draw: Draw) -> bool:
    """Drawn, the result set (the section past evaluation), and not revealed yet."""
    return (
        draw.status == DrawStatus.DRAWN and draw.section.status in RESULT_SET and not revealed(draw)
    )


def reveal(*, draw: Draw, actor: Person) -> None:
    """Ledger the secret and the pool (``draws.draw_reveal``) once the result is set, once."""
    with transaction.atomic():
        locked = Draw.objects.select_for_update().select_related("section").get(pk=draw.pk)
        if not may_reveal(locked):
            raise DomainError(
                "评标结果确定前不能公开抽取秘密值（或已公开）[L37] / The draw's secret is "
                "published once the result is set (the candidates publicized), and only once "
                "[L37]",
                code="too_early",
            )
        draws.draw_reveal(draw=locked, actor=actor)
