"""What award puts on the workbench (accounts/workbench.py): the tenderee's objections to
the result to answer within 3 days [R54], publicities ended with no award notice yet
[L45], contracts due within 30 days of the award notice [L46]; a bidder's award and result
notices, its contract due, and the objections it raised to a result.

Through award.access (objections_seen_by, notices_of) and trading.access: all of it after
the opening, when the bidders are known."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from award import access
from award.models import Award, AwardStatus, Publicity, ResultObjection
from trading import access as trading_access
from trading.models import SectionStatus

LISTED_MAX = 20
NOTICES_SHOWN = dt.timedelta(days=60)
AFTER_REPORT = (SectionStatus.PUBLICITY, SectionStatus.AWARDED, SectionStatus.EVALUATION)


def tenderee_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    sections = list(
        trading_access.sections_managed_by(person)
        .filter(status__in=AFTER_REPORT)
        .order_by("bid_deadline", "pk")[:LISTED_MAX]
    )
    items = []
    for section in sections:
        for objection in access.objections_seen_by(person, section).filter(
            answered_at__isnull=True
        ):
            items.append(
                workbench.Item(
                    _("Objection to the result of %(code)s [R54]") % {"code": section.code},
                    reverse("award:objections", kwargs={"code": section.code}),
                    workbench.state_of(objection.answer_due, now),
                    objection.answer_due,
                    _("Answer within 3 days; the award waits meanwhile."),
                )
            )
    publicities = Publicity.objects.filter(
        section__in=[s.pk for s in sections if s.status == SectionStatus.PUBLICITY]
    ).select_related("section")
    for publicity in publicities:
        code = publicity.section.code
        url = reverse("award:manage", kwargs={"code": code})
        if publicity.ends_at > now:
            items.append(
                workbench.Item(
                    _("Candidates of %(code)s publicized") % {"code": code},
                    url,
                    workbench.state_of(publicity.ends_at, now, can_be_late=False),
                    publicity.ends_at,
                    _("The award notice may be issued once the publicity ends [R54]."),
                )
            )
        else:
            items.append(
                workbench.Item(
                    _("Issue the award notice for %(code)s") % {"code": code},
                    url,
                    workbench.DUE_TODAY,
                    publicity.ends_at,
                    _("Publicity over: issue the award notice and result notices [L45]."),
                )
            )
    for award in Award.objects.filter(
        section__in=trading_access.sections_managed_by(person), status=AwardStatus.NOTIFIED
    ).select_related("section")[:LISTED_MAX]:
        items.append(
            workbench.Item(
                _("Contract for %(code)s") % {"code": award.section.code},
                reverse("award:manage", kwargs={"code": award.section.code}),
                workbench.state_of(award.contract_due, now),
                award.contract_due,
                _("Sign within 30 days of the award notice, on the tender's terms [L46]."),
            )
        )
    return [
        workbench.Panel(
            "award",
            _("Results, awards and contracts"),
            items,
            order=30,
            empty=_("No result, award or contract waits for you."),
        )
    ]


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    awards, notices = access.notices_of(person)
    items = []
    for award in awards.filter(issued_at__gte=now - NOTICES_SHOWN)[:LISTED_MAX]:
        url = reverse("award:notices")
        if award.status == AwardStatus.NOTIFIED:
            items.append(
                workbench.Item(
                    _("Award notice for %(code)s: sign the contract")
                    % {"code": award.section.code},
                    url,
                    workbench.state_of(award.contract_due, now),
                    award.contract_due,
                    _("Within 30 days of the award notice [L46]."),
                )
            )
        else:
            label = AwardStatus(award.status).label
            items.append(
                workbench.Item(
                    _("Award notice for %(code)s") % {"code": award.section.code},
                    url,
                    workbench.INFO,
                    None,
                    label,
                )
            )
    for notice in notices.filter(issued_at__gte=now - NOTICES_SHOWN)[:LISTED_MAX]:
        items.append(
            workbench.Item(
                _("Result notice for %(code)s") % {"code": notice.award.section.code},
                reverse("award:notices"),
                workbench.INFO,
                None,
                "",
            )
        )
    if person.organisation_id is not None and person.role == Role.BIDDER:
        # A bidder's own objections (award.access.objections_seen_by's rule for bidders).
        for objection in ResultObjection.objects.filter(
            organisation_id=person.organisation_id, answered_at__isnull=True
        ).select_related("section")[:LISTED_MAX]:
            items.append(
                workbench.Item(
                    _("Our objection to the result of %(code)s") % {"code": objection.section.code},
                    reverse("award:objections", kwargs={"code": objection.section.code}),
                    workbench.state_of(objection.answer_due, now),
                    objection.answer_due,
                    _("The tenderee answers within 3 days [R54]."),
                )
            )
    return [
        workbench.Panel(
            "results",
            _("Results and notices"),
            items,
            order=40,
            empty=_("No result notice yet."),
            link=(reverse("award:notices"), _("Our notices")),
        )
    ]


def register() -> None:
    workbench.register(tenderee_panels, roles=[Role.TENDEREE])
    workbench.register(bidder_panels, roles=[Role.BIDDER])
