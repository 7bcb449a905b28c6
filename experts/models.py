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
    # The SM2 public key (SPKI PEM) the expert signs evaluation reports with [R53]; the
    # private key stays on the expert's machine (ggzy-bid keys new, or the browser).
    public_key_pem = models.TextField(_("signing public key (PEM)"), blank=True)
    key_fingerprint = models.CharField(_("signing key fingerprint"), max_length=64, blank=True)
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
    # Cross-region evaluation (远程异地评标): at least ``outside_min`` members from outside the
    # city ``outside_city`` (the first four digits of a GB/T 2260 region code); ``outside``
    # is the pool's numbers from outside it, stored with the pool for replay.
    outside_city = models.CharField(_("home city (region prefix)"), max_length=4, blank=True)
    outside_min = models.PositiveSmallIntegerField(_("members from outside the city"), default=0)
    outside = models.JSONField(_("eligible experts from outside the city"), default=list)
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
    # A credit record barring the expert's person from evaluating (accounts.credit).
    CREDIT_RECORD = "credit_record", _("A credit record bars evaluating [R71, P12]")
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


# --- Remote evaluation (评标) ------------------------------------------------------------


class EvaluationStatus(models.TextChoices):
    SCORING = "scoring", _("Scoring")
    SIGNING = "signing", _("Report awaiting signatures")
    FINISHED = "finished", _("Finished: report signed")


class Evaluation(models.Model):
    """A committee's evaluation of a section's opened bids, to a report every member signs."""

    section = models.OneToOneField(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    draw = models.OneToOneField(
        Draw, verbose_name=_("draw"), on_delete=models.PROTECT, related_name="evaluation"
    )
    method = models.CharField(_("evaluation method"), max_length=32)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.SCORING,
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        Person, verbose_name=_("opened by"), on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("scoring due"))
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    # Live progress events carry it: a client that missed one asks for a snapshot.
    sequence = models.BigIntegerField(_("sequence"), default=0)
    leader = models.ForeignKey(
        "Member",
        verbose_name=_("leader"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    report_json = models.BinaryField(_("report JSON"), null=True, blank=True)
    report_sm3 = models.CharField(_("report SM3"), max_length=64, blank=True)
    report_pdf = models.FileField(_("report PDF"), upload_to="evaluation-reports/", blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    signing_due = models.DateTimeField(_("signatures due"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{self.section_id} {self.status}"


class Criterion(models.Model):
    """A scoring criterion: points from 0 to ``maximum``, counted ``weight`` times. Under the
    lowest evaluated price method the one criterion is the evaluated price (no maximum)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="criteria"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=100)
    maximum = models.DecimalField(
        _("maximum points"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["evaluation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "order"], name="one_criterion_per_order")
        ]

    def __str__(self) -> str:
        return self.name


class EvaluatedBid(models.Model):
    """A bid the hall opened, as the committee evaluates it (copied when evaluation opens)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="bids"
    )
    number = models.PositiveIntegerField(_("number"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("bidder"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    price = models.DecimalField(_("price read out"), max_digits=16, decimal_places=2, null=True)
    sheet = models.JSONField(_("opening sheet"), default=dict)
    files = models.JSONField(_("decrypted files"), default=list)

    class Meta:
        verbose_name = _("evaluated bid")
        verbose_name_plural = _("evaluated bids")
        ordering = ["evaluation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "number"], name="one_bid_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} #{self.number}"


class MemberKind(models.TextChoices):
    EXPERT = "expert", _("Expert")
    REPRESENTATIVE = "representative", _("Tenderee's representative")


class Member(models.Model):
    """A member of the committee: a confirmed expert seat, or a tenderee's representative."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="members"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    seat = models.OneToOneField(
        Seat,
        verbose_name=_("seat"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MemberKind.choices)
    name = models.CharField(_("name"), max_length=100)
    vote = models.ForeignKey(
        "self",
        verbose_name=_("votes for leader"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    time_short = models.BooleanField(_("says the time is insufficient"), default=False)
    submitted_at = models.DateTimeField(_("scores submitted at"), null=True, blank=True)
    outlier = models.BooleanField(_("scores deviate strongly"), default=False)
    agrees = models.BooleanField(_("agrees with the report"), null=True, blank=True)
    dissent = models.TextField(_("written reasons for disagreeing"), blank=True)
    signature = models.BinaryField(_("signature"), null=True, blank=True)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    deemed_agreed = models.BooleanField(_("deemed to agree (did not sign) [R53]"), default=False)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["evaluation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "person"], name="one_member_each")
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.order}"


class Score(models.Model):
    """One member's points for one criterion of one bid (or, lowest price, the evaluated
    price)."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="scores"
    )
    bid = models.ForeignKey(
        EvaluatedBid, verbose_name=_("bid"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="+"
    )
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "bid", "criterion"], name="one_score_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.bid_id} {self.criterion_id}"


class RejectionGround(models.TextChoices):
    """The grounds on which the committee rejects a bid [R51] (and [R34] for one
    representative behind two bidders)."""

    UNSIGNED = "unsigned", _("Not stamped by the bidder or signed by its head [R51(1)]")
    NO_CONSORTIUM_AGREEMENT = (
        "no_consortium_agreement",
        _("A consortium without a joint bidding agreement [R51(2)]"),
    )
    NOT_QUALIFIED = "not_qualified", _("The bidder does not meet the qualifications [R51(3)]")
    TWO_OFFERS = "two_offers", _("Two different bids or prices from one bidder [R51(4), R34]")
    PRICE = "price", _("Price below cost or above the price ceiling [R51(5)]")
    NOT_RESPONSIVE = "not_responsive", _("Does not answer the substantive requirements [R51(6)]")
    MISCONDUCT = "misconduct", _("Collusion, fraud or bribery [R51(7)]")


class Rejection(models.Model):
    """A member's vote to reject a bid; the committee rejects it when more than half do."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="rejections"
    )
    bid = models.ForeignKey(
        EvaluatedBid, verbose_name=_("bid"), on_delete=models.CASCADE, related_name="rejections"
    )
    ground = models.CharField(_("ground"), max_length=32, choices=RejectionGround.choices)
    reason = models.TextField(_("reason"))
    rejected_at = models.DateTimeField(_("rejected at"))

    class Meta:
        verbose_name = _("rejection")
        verbose_name_plural = _("rejections")
        constraints = [models.UniqueConstraint(fields=["member", "bid"], name="one_rejection_each")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.bid_id} {self.ground}"


class Query(models.Model):
    """A written clarification the committee asks of a bidder, and its answer [R52]: it may
    not change the price or the substance of the bid."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="queries"
    )
    bid = models.ForeignKey(
        EvaluatedBid, verbose_name=_("bid"), on_delete=models.CASCADE, related_name="queries"
    )
    asked_by = models.ForeignKey(
        Member, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        Person,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("clarification request")
        verbose_name_plural = _("clarification requests")
        ordering = ["evaluation", "asked_at"]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.bid_id} {self.asked_at:%Y-%m-%d %H:%M}"
