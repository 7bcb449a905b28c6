"""What the archive puts on the workbench (accounts/workbench.py): the centre's closed
sections whose archive is not sealed yet, due ``ARCHIVE_AFTER`` after closing (or later,
while a cancelled section's bids are still secret [E21]) — overdue when no worker sealed
it in time [E40].

Through archive.access.sections_of (the centre's own sections) and the service's own
due time (services.sealing_due)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from supervision.archive import access, services

LISTED_MAX = 20


def centre_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    waiting = (
        access.sections_of(person)
        .filter(status__in=services.CLOSED, archive__isnull=True)
        .order_by("bid_deadline", "pk")[:LISTED_MAX]
    )
    items = []
    for section in waiting:
        due = services.sealing_due(section)
        items.append(
            workbench.Item(
                _("Archive of %(code)s") % {"code": section.code},
                reverse("archive:list"),
                workbench.state_of(due, now),
                due,
                _("Sealed automatically when due; seal it now from the archive list [E40]."),
            )
        )
    return [
        workbench.Panel(
            "archives",
            _("Archives due"),
            items,
            order=60,
            empty=_("Every closed section is archived."),
            link=(reverse("archive:list"), _("Electronic archive")),
        )
    ]


def register() -> None:
    workbench.register(centre_panels, roles=[Role.STAFF])
