"""The expert library (评标专家库): experts, their specialties on a hierarchical code list,
when they cannot serve, what ties them to organisations, and penalties on record.

Who sits on which committee is secret until the result is set [L37]; the library itself is
the centre's register and is read only by centre staff and regulators (docs/experts.md).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from trading.models import Section

MIN_YEARS_OF_PRACTICE = 8  # [L37]: eight years in the field, a senior title or its level


class Specialty(models.Model):
    """A node of the specialty code list (评标专家专业分类): ``A08`` is a field, ``A0801``
    one of its specialties. A request for a code takes experts of that code and below it."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ExpertStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REMOVED = "removed", _("Removed")


class Expert(models.Model):
    """An expert of the library, known by the library's own number."""

    number = models.CharField(_("expert number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile phone"), max_length=20)
    region = models.CharField(_("region code (GB/T 2260)"), max_length=6)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    employer_credit_code = models.CharField(
        _("employer's credit code"), max_length=18, blank=True, db_index=True
    )
    title = models.CharField(_("professional title"), max_length=50)
    practice_since = models.PositiveSmallIntegerField(_("in practice since (year)"))
    status = models.CharField(
        _("status"), max_length=12, choices=ExpertStatus.choices, default=ExpertStatus.ACTIVE
    )
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), related_name="experts"
    )
    person = models.OneToOneField(
        Person,
        verbose_name=_("sign-in account"),
        on_delete=models.PROTECT,
        related_name="expert",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number

    def years_of_practice(self, on: dt.date) -> int:
        return on.year - self.practice_since


class Unavailability(models.Model):
    """Days an expert has said they cannot serve (both ends included)."""

    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="unavailable"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailabilities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="unavailable_forward"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.starts_on}–{self.ends_on}"


class RelationshipKind(models.TextChoices):
    RELATIVE = "relative", _("A close relative works there or runs it")
    FORMER_EMPLOYER = "former_employer", _("Former employer")
    SHAREHOLDING = "shareholding", _("Holds shares in it")
    OTHER = "other", _("Other economic interest")


class Relationship(models.Model):
    """A tie the expert declared to an organisation: it keeps them off that organisation's
    sections while it lasts [P12, R46]."""

    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="relationships"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RelationshipKind.choices)
    credit_code = models.CharField(_("organisation's credit code"), max_length=18, db_index=True)
    organisation_name = models.CharField(_("organisation"), max_length=200)
    until = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("declared relationship")
        verbose_name_plural = _("declared relationships")

    def __str__(self) -> str:
        return f"{self.expert} {self.kind} {self.credit_code}"


class Penalty(models.Model):
    """A penalty in tendering on record: it keeps the expert out of draws while in force."""

    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="penalties"
    )
    imposed_on = models.DateField(_("imposed on"))
    until = models.DateField(_("until"), null=True, blank=True)
    authority = models.CharField(_("imposed by"), max_length=200)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")

    def __str__(self) -> str:
        return f"{self.expert} {self.imposed_on}"


class DrawStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DRAWN = "drawn", _("Drawn")


class Draw(models.Model):
    """A committee drawn for a section: the request, the commitment made before drawing,
    and (after) the eligible pool the seats were drawn from."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        Person, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    evaluation_on = models.DateField(_("evaluation day"))
    representatives = models.PositiveSmallIntegerField(_("tenderee's representatives"))
    status = models.CharField(
        _("status"), max_length=12, choices=DrawStatus.choices, default=DrawStatus.REQUESTED
    )
    # SM3 of the secret, ledgered before the draw; the secret itself is revealed with the
    # result (until then it would let anyone holding the pool recompute the names [L37]).
    commitment = models.CharField(_("commitment (SM3 of the secret)"), max_length=64, blank=True)
    secret = models.CharField(_("secret"), max_length=64, blank=True)
    anchor = models.CharField(_("anchor (ledger entry hash)"), max_length=64, blank=True)
    pool = models.JSONField(_("eligible pool"), default=dict)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")

    def __str__(self) -> str:
        return f"{self.section_id} {self.requested_at:%Y-%m-%d}"


class DrawNeed(models.Model):
    """How many experts of a specialty (or below it) the committee needs, and backups."""

    draw = models.ForeignKey(
        Draw, verbose_name=_("draw"), on_delete=models.CASCADE, related_name="needs"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    specialty = models.ForeignKey(
        Specialty, verbose_name=_("specialty"), on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveSmallIntegerField(_("members"))
    backups = models.PositiveSmallIntegerField(_("backups"))

    class Meta:
        verbose_name = _("draw need")
        verbose_name_plural = _("draw needs")
        ordering = ["draw", "order"]

    def __str__(self) -> str:
        return f"{self.specialty_id} × {self.count}"


class AvoidanceReason(models.TextChoices):
    PENALTY = "penalty", _("A penalty in tendering is in force [P12]")
    EMPLOYER_BIDDER = "employer_bidder", _("Works for a bidder [P12, R46]")
    EMPLOYER_TENDEREE = "employer_tenderee", _("Works for the tenderee [P12, R46]")
    RELATIONSHIP = "relationship", _("Declared a relationship with a bidder or the tenderee [P12]")
    SUPERVISOR = "supervisor", _("Staff of the supervising department [P12]")
    COOL_DOWN = "cool_down", _("Served the same tenderee recently")


class Exclusion(models.Model):
    """An expert of the right specialty the draw left out, and why."""

    draw = models.ForeignKey(
        Draw, verbose_name=_("draw"), on_delete=models.CASCADE, related_name="exclusions"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=AvoidanceReason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")

    def __str__(self) -> str:
        return f"{self.expert_id} {self.reason}"


class SeatRole(models.TextChoices):
    MEMBER = "member", _("Member")
    BACKUP = "backup", _("Backup")


class SeatStatus(models.TextChoices):
    STANDBY = "standby", _("Standing by (backup not called)")
    CALLED = "called", _("Called, awaiting an answer")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    TIMED_OUT = "timed_out", _("No answer in time")


class Seat(models.Model):
    """An expert drawn onto the committee, or as a backup, in the order drawn. Members are
    called when the draw is made; a backup is called when a seat of its need is declined or
    left unanswered."""

    draw = models.ForeignKey(
        Draw, verbose_name=_("draw"), on_delete=models.CASCADE, related_name="seats"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    need = models.ForeignKey(
        DrawNeed, verbose_name=_("need"), on_delete=models.CASCADE, related_name="seats"
    )
    expert = models.ForeignKey(
        Expert, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="seats"
    )
    role = models.CharField(_("role"), max_length=8, choices=SeatRole.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=SeatStatus.choices, default=SeatStatus.STANDBY
    )
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    answer_by = models.DateTimeField(_("answer by"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("message sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reason = models.CharField(_("reason for declining"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["draw", "order"]
        constraints = [models.UniqueConstraint(fields=["draw", "expert"], name="one_seat_each")]

    def __str__(self) -> str:
        return f"{self.draw_id} {self.order} {self.role}"
