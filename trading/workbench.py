"""What trading puts on the workbench (accounts/workbench.py): the tenderee's sections by
stage, the objections to its documents to answer [R22] and the last day to clarify without
moving the deadline [R21]; a bidder's deadlines for the sections whose documents it fetched
and the objections it raised; the overseers' sections by stage and late time events; a key
holder's step in an opening key ceremony.

Everything through trading.access. Public facts only for anyone but the bidder itself: a
section's code, name, status and dates — nothing that depends on its bids [E21, E27]."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from trading import access, ceremony
from trading.models import DocumentDownload, DocumentObjection, Section, SectionStatus
from trading.rules import CLARIFICATION_NOTICE_MIN
from trading.transitions import BEFORE_DEADLINE

# Sections no longer worked on: not listed, but counted in the chart.
ENDED = frozenset({SectionStatus.ARCHIVED, SectionStatus.CANCELLED, SectionStatus.FAILED})
# How long a time event may wait for the chronograph's tick before it is late (the beat
# sweep runs every minute; an ETA tick is on time).
CHRONOGRAPH_GRACE = dt.timedelta(minutes=10)
LISTED_MAX = 20


def _title(section: Section) -> str:
    return f"{section.code} {section.name}"


def stages_chart(sections: list[Section]) -> workbench.Chart:
    """Sections per status, in the life's order (statuses with none left out)."""
    counts = Counter(section.status for section in sections)
    statuses = [status for status in SectionStatus if counts[status]]
    return workbench.Chart(
        caption=_("Sections per stage"),
        labels=[status.label for status in statuses],
        series=[workbench.Series(_("Sections"), [counts[status] for status in statuses])],
    )


def tenderee_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    sections = list(access.sections_managed_by(person).order_by("bid_deadline", "pk"))
    items = []
    for section in sections:
        if section.status in ENDED:
            continue
        url = reverse("trading:manage", kwargs={"pk": section.pk})
        if section.status == SectionStatus.DRAFT:
            detail = _("Draft: upload the documents and publish it.")
            items.append(workbench.Item(_title(section), url, workbench.OPEN, None, detail))
        elif section.status in BEFORE_DEADLINE:
            state = workbench.state_of(section.bid_deadline, now, can_be_late=False)
            detail = _("Bid deadline (opening)")
            items.append(workbench.Item(_title(section), url, state, section.bid_deadline, detail))
        else:
            label = SectionStatus(section.status).label
            items.append(workbench.Item(_title(section), url, workbench.INFO, None, label))
    objections = [
        workbench.Item(
            _("Objection to the documents of %(code)s [R22]") % {"code": objection.section.code},
            reverse("trading:manage", kwargs={"pk": objection.section_id}),
            workbench.state_of(objection.answer_due, now),
            objection.answer_due,
            _("Answer within 3 days of receipt."),
        )
        for objection in DocumentObjection.objects.filter(
            section__in=access.sections_managed_by(person), answered_at__isnull=True
        ).select_related("section")[:LISTED_MAX]
    ]
    clarify = []
    for section in sections:
        last = section.bid_deadline - CLARIFICATION_NOTICE_MIN
        if section.status in BEFORE_DEADLINE and last >= now:
            clarify.append(
                workbench.Item(
                    _title(section),
                    reverse("trading:manage", kwargs={"pk": section.pk}),
                    workbench.state_of(last, now, can_be_late=False),
                    last,
                    _("Last moment to clarify without moving the deadline [R21]"),
                )
            )
    return [
        workbench.Panel(
            "objections",
            _("Objections to answer"),
            objections,
            order=10,
            empty=_("No objection waits for your answer."),
        ),
        workbench.Panel(
            "sections",
            _("My sections"),
            items[:LISTED_MAX],
            order=20,
            empty=_("No section in progress: create a project and its sections."),
            link=(reverse("trading:my_sections"), _("All my tenders")),
            chart=stages_chart(sections) if sections else None,
        ),
        workbench.Panel(
            "clarifications",
            _("Clarifications"),
            clarify[:LISTED_MAX],
            order=40,
            empty=_("No section is still open to clarification without moving its deadline."),
        ),
    ]


def bidder_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    organisation_id = person.organisation_id
    if organisation_id is None:
        return []
    fetched = DocumentDownload.objects.filter(organisation_id=organisation_id).values(
        "document__section"
    )
    objected = DocumentObjection.objects.filter(organisation_id=organisation_id)
    followed = (
        access.public_sections()
        .filter(Q(pk__in=fetched) | Q(pk__in=objected.values("section")))
        .filter(status__in=BEFORE_DEADLINE, bid_deadline__gt=now)
        .order_by("bid_deadline", "pk")[:LISTED_MAX]
    )
    deadlines = [
        workbench.Item(
            _title(section),
            reverse("trading:section", kwargs={"code": section.code}),
            workbench.state_of(section.bid_deadline, now, can_be_late=False),
            section.bid_deadline,
            _("Bid deadline: your sealed bid must be fully uploaded before it."),
        )
        for section in followed
    ]
    raised = []
    for objection in objected.select_related("section").order_by("-raised_at")[:LISTED_MAX]:
        url = reverse("trading:section", kwargs={"code": objection.section.code})
        title = _("Our objection to the documents of %(code)s") % {"code": objection.section.code}
        if objection.answered_at is None:
            state = workbench.state_of(objection.answer_due, now)
            detail = (
                _("Not answered in time: you may complain to the supervising department [R60].")
                if state == workbench.LATE
                else _("Waiting for the tenderee's answer [R22].")
            )
            raised.append(workbench.Item(title, url, state, objection.answer_due, detail))
        else:
            raised.append(workbench.Item(title, url, workbench.INFO, None, _("Answered.")))
    return [
        workbench.Panel(
            "deadlines",
            _("Bid deadlines"),
            deadlines,
            order=10,
            empty=_("No deadline ahead for a section whose documents you downloaded."),
            link=(reverse("trading:announcements"), _("Tender announcements")),
        ),
        workbench.Panel(
            "objections-raised",
            _("Our objections"),
            raised,
            order=60,
            empty=_("You have raised no objection."),
        ),
    ]


def overseer_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    """Centre staff and regulators: their sections by stage, and time events the chronograph
    has not applied in time (a stuck worker or beat)."""
    sections = list(access.sections_overseen_by(person))
    stuck = [
        workbench.Item(
            _title(section),
            reverse("trading:section", kwargs={"code": section.code}),
            workbench.LATE,
            section.next_check,
            _("A time event is waiting: check the worker and the beat scheduler."),
        )
        for section in sections
        if section.next_check is not None
        and section.next_check < now - CHRONOGRAPH_GRACE
        and not section.suspended
    ]
    return [
        workbench.Panel(
            "chronograph",
            _("Late time events"),
            stuck[:LISTED_MAX],
            order=70,
            empty=_("Every time event ran on time."),
        ),
        workbench.Panel(
            "stages",
            _("Sections by stage"),
            [],
            order=80,
            empty="",
            chart=stages_chart(sections) if sections else None,
        ),
    ]


def ceremony_panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    """A key holder's step in an opening key ceremony (centre, regulator, tenderee): run
    ggzy-bid with the organisation's bound key before the deadline (trading/ceremony.py)."""
    items = []
    for holder, _step in ceremony.steps_waiting_for(person.organisation_id)[:LISTED_MAX]:
        section = holder.ceremony.section
        due = ceremony.closes_at(holder.ceremony)
        url = (
            reverse("trading:manage", kwargs={"pk": section.pk})
            if access.can_manage(person, section.project)
            else reverse("trading:section", kwargs={"code": section.code})
        )
        items.append(
            workbench.Item(
                _("Take your step in the opening key ceremony of %(code)s")
                % {"code": section.code},
                url,
                workbench.state_of(due, now),
                due,
                _("Run %(command)s before the deadline.")
                % {"command": ceremony.COMMAND.format(code=section.code)},
            )
        )
    if not items:
        return []  # most holders, most of the time: no panel rather than an empty one
    return [
        workbench.Panel(
            "opening-key-ceremony",
            _("Opening key ceremonies"),
            items,
            order=15,
            empty=_("No opening key ceremony waits for your step."),
        )
    ]


def register() -> None:
    workbench.register(ceremony_panels, roles=[Role.STAFF, Role.REGULATOR, Role.TENDEREE])
    workbench.register(tenderee_panels, roles=[Role.TENDEREE])
    workbench.register(bidder_panels, roles=[Role.BIDDER])
    workbench.register(overseer_panels, roles=[Role.STAFF, Role.REGULATOR])
