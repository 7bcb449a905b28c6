"""The hall row and what needs no stage change: creating it, locking it, the bidders' sign-in
and the public bidder table. The stage changes are realtime/stages.py's.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from realtime import events, guide
from realtime.models import Hall, OpeningStatus, SignIn
from supervision import ledger
from trading.models import Section


def locked(hall: Hall | int) -> Hall:
    pk = hall if isinstance(hall, int) else hall.pk
    return Hall.objects.select_for_update().select_related("section", "section__project").get(pk=pk)


def hall_create(section: Section) -> Hall:
    """The section's hall, created (and ledgered) the first time it is asked for."""
    hall, created = Hall.objects.get_or_create(
        section=section, defaults={"stage_started_at": clock.now()}
    )
    if created:
        ledger.append(
            "realtime.hall.created", actor=ledger.SYSTEM, target=section, data={"stage": hall.stage}
        )
    return hall


@transaction.atomic
def sign_in(*, hall: Hall, person: Person) -> SignIn:
    current = locked(hall)
    guide.require(current, "sign_in")
    if (
        person.organisation is None
        or not current.openings.filter(bid__organisation=person.organisation).exists()
    ):
        raise DomainError(
            "只有本标段的投标人可以签到 / Only this section's bidders sign in", code="forbidden"
        )
    record, created = SignIn.objects.get_or_create(
        hall=current,
        organisation=person.organisation,
        defaults={"person": person, "signed_in_at": clock.now()},
    )
    if created:
        events.emit(current, "signed_in", {"bidder": person.organisation.name})
        ledger.append("realtime.hall.signed_in", actor=person, target=current.section)
    return record


def statuses(hall: Hall) -> list[dict[str, Any]]:
    """The public bidder table: who bid, signed in, and where their decryption stands."""
    signed = set(hall.sign_ins.values_list("organisation_id", flat=True))
    queue = list(
        hall.openings.filter(status=OpeningStatus.DECRYPTING)
        .order_by("submitted_at")
        .values_list("pk", flat=True)
    )
    return [
        {
            "bid": str(opening.bid_id),
            "sequence": opening.number,  # the opening number (docs/hall-protocol.md)
            "bidder": opening.bid.organisation.name,
            "signed_in": opening.bid.organisation_id in signed,
            "status": opening.status,
            "queue": queue.index(opening.pk) + 1 if opening.pk in queue else None,
        }
        for opening in hall.openings.select_related("bid", "bid__organisation")
    ]
