"""The complaints tables (top floor: may reference any app's models).

A complaint to the supervising department about one section [R60], on the statutory clocks
[R61] (supervision/complaints/clocks.py), its steps (every one ledgered too), and the
objection it follows where the law asks for one first [R60 ¶2].
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person
from realtime.models import HallObjection
from trading.models import DocumentObjection, Section

# Bounds on what people post (the law sets none of these numbers; they are generous for
# honest use and keep one party from exhausting the platform).
TEXT_MAX_CHARS = 20_000  # the complaint's facts and grounds
REQUESTS_MAX_CHARS = 5_000  # what the complainant asks the department to do
NOTE_MAX_CHARS = 10_000  # a step's note: a reason, a statement, the decision's text
OBJECTION_REFERENCE_MAX_CHARS = 200
STEPS_PER_COMPLAINT_MAX = 200  # statements and steps together
COMPLAINTS_PER_ORGANISATION_AND_SECTION_MAX = 10


class Matter(models.TextChoices):
    """What the complaint is about. The first three need an objection to the tenderee
    first [R60 ¶2]: the tender documents [R22], the opening [R44], the evaluation result
    (candidates publicized) [R54]."""

    TENDER_DOCUMENTS = "tender_documents", _("Tender documents (objection first) [R22]")
    OPENING = "opening", _("Bid opening (objection first) [R44]")
    EVALUATION_RESULT = (
        "evaluation_result",
        _("Evaluation result / candidates (objection first) [R54]"),
    )
    OTHER = "other", _("Other matters")


OBJECTION_FIRST = frozenset({Matter.TENDER_DOCUMENTS, Matter.OPENING, Matter.EVALUATION_RESULT})


class ComplaintStatus(models.TextChoices):
    FILED = "filed", _("Filed, awaiting the acceptance decision")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    ACCEPTED = "accepted", _("Accepted, under investigation")
    EVIDENCE = "evidence", _("Evidence requested (clock paused)")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn by the complainant")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Urgency(models.IntegerChoices):
    """How close the running clock is to its due day (the regulator's list sorts on it)."""

    NONE = 0, _("On time")
    DUE_SOON = 1, _("Due soon")
    OVERDUE = 2, _("Overdue")


class Complaint(models.Model):
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="complaints"
    )
    number = models.CharField(_("number"), max_length=32, unique=True)
    complainant = models.ForeignKey(
        Organisation,
        verbose_name=_("complainant"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    filed_by = models.ForeignKey(
        Person, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+"
    )
    matter = models.CharField(_("matter"), max_length=24, choices=Matter.choices)
    # The objection it follows [R60 ¶2]: one of ours, or (the publicity objections of issue
    # 12 not being built yet) the complainant's reference to its written objection.
    document_objection = models.ForeignKey(
        DocumentObjection,
        verbose_name=_("objection to the tender documents"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hall_objection = models.ForeignKey(
        HallObjection,
        verbose_name=_("objection in the hall"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    objection_reference = models.CharField(
        _("objection reference"), max_length=OBJECTION_REFERENCE_MAX_CHARS, blank=True
    )
    knew_on = models.DateField(_("knew of the matter on"))
    text = models.TextField(_("facts and grounds"), max_length=TEXT_MAX_CHARS)
    requests = models.TextField(_("requests"), max_length=REQUESTS_MAX_CHARS)
    filed_at = models.DateTimeField(_("filed at"))
    # Before the bid deadline only the department and the complainant learn who complained
    # [E21]: fixed at filing, the pages also compare with the section's current deadline.
    filed_before_deadline = models.BooleanField(_("filed before the bid deadline"))

    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.FILED,
        db_index=True,
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    decision_text = models.TextField(_("decision"), blank=True)
    refusal_reason = models.TextField(_("reason for not accepting"), blank=True)

    # The clocks (Beijing dates; clocks.py says how days count).
    received_on = models.DateField(_("received on"))
    acceptance_due = models.DateField(_("acceptance decision due"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    decision_due = models.DateField(_("decision due"), null=True, blank=True)
    paused_on = models.DateField(_("clock paused on"), null=True, blank=True)
    paused_workdays = models.PositiveIntegerField(_("paused working days"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The sweep's marks: the running clock's urgency, and the alerts already ledgered
    # ("acceptance.due_soon", "decision.overdue" …) so that each is ledgered once per clock.
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NONE, db_index=True
    )
    alerts = models.JSONField(_("alerts ledgered"), default=list, blank=True)
    # Whether this complaint suspended the section (so that deciding it resumes it).
    suspended_section = models.BooleanField(_("suspended the section"), default=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def due(self) -> dt.date | None:
        """The due day of the running clock (None when paused or closed)."""
        if self.status == ComplaintStatus.FILED:
            return self.acceptance_due
        if self.status == ComplaintStatus.ACCEPTED:
            return self.decision_due
        return None


OPEN = frozenset({ComplaintStatus.FILED, ComplaintStatus.ACCEPTED, ComplaintStatus.EVIDENCE})


class StepKind(models.TextChoices):
    FILED = "filed", _("Complaint filed")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    EVIDENCE_REQUESTED = "evidence_requested", _("Evidence requested: clock paused")
    EVIDENCE_RECEIVED = "evidence_received", _("Evidence received: clock running again")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    STATEMENT = "statement", _("Statement")
    SECTION_SUSPENDED = "section_suspended", _("Section suspended")
    SECTION_RESUMED = "section_resumed", _("Section resumed")
    DUE_SOON = "due_soon", _("Clock due soon")
    OVERDUE = "overdue", _("Clock overdue")


class ComplaintStep(models.Model):
    """One step of a complaint: who, when, from which status to which, and a note. Every
    step is also in the audit ledger (``complaints.complaint.<kind>``)."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="steps"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=StepKind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        Person,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    by_complainant = models.BooleanField(_("by the complainant"), default=False)
    from_status = models.CharField(
        _("from"), max_length=16, choices=ComplaintStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=ComplaintStatus.choices)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX_CHARS)

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint.number} {self.kind}"
