"""What complaints puts on the workbench (accounts/workbench.py): the regulator's complaints
to accept or not within 3 working days [R60] and to decide within 30 [R61], on the PRC
calendar (the complaint's own due days, clocks.py); a bidder's own complaints.

Through complaints.selectors (complaints.access.complaints_for): a department sees its own
sections' complaints, a bidder its own. Items name the complaint's number and section,
never the complainant."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from supervision.complaints import selectors
from supervision.complaints.models import Complaint, ComplaintStatus

LISTED_MAX = 20


def _item(complaint: Complaint, now: dt.datetime, *, regulator: bool) -> workbench.Item:
    names = {"number": complaint.number, "code": complaint.section.code}
    url = reverse("complaints:detail", kwargs={"pk": complaint.pk})
    if complaint.status == ComplaintStatus.FILED:
        title = (
            _("Accept or not: complaint %(number)s on %(code)s [R60]")
            if regulator
            else _("Our complaint %(number)s on %(code)s")
        )
        detail = _("Acceptance decision due (3 working days) [R60]")
    elif complaint.status == ComplaintStatus.ACCEPTED:
        title = (
            _("Decide complaint %(number)s on %(code)s [R61]")
            if regulator
            else _("Our complaint %(number)s on %(code)s")
        )
        detail = _("Decision due (30 working days) [R61]")
    else:
        title = _("Complaint %(number)s on %(code)s") % names
        label = ComplaintStatus(complaint.status).label
        return workbench.Item(title, url, workbench.OPEN, None, label)
    return workbench.Item(
        title % names, url, workbench.state_of(complaint.due, now), complaint.due, detail
    )


def regulator_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    complaints = selectors.open_for(person)[:LISTED_MAX]
    return [
        workbench.Panel(
            "complaints",
            _("Complaints to handle"),
            [_item(complaint, now, regulator=True) for complaint in complaints],
            order=10,
            empty=_("No open complaint."),
            link=(reverse("complaints:list"), _("Complaints")),
        )
    ]


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    complaints = list(selectors.open_for(person)[:LISTED_MAX])
    if not complaints:
        return []
    return [
        workbench.Panel(
            "complaints",
            _("Our complaints"),
            [_item(complaint, now, regulator=False) for complaint in complaints],
            order=70,
            link=(reverse("complaints:list"), _("Complaints")),
        )
    ]


def register() -> None:
    workbench.register(regulator_panels, roles=[Role.REGULATOR])
    workbench.register(bidder_panels, roles=[Role.BIDDER])
