"""Projects, sections (标段) and what is published about them."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person
from ggzy_core.gm.envelope import sheet


class Category(models.TextChoices):
    WORKS = "works", _("Works")
    GOODS = "goods", _("Goods")
    SERVICES = "services", _("Services")


class EvaluationMethod(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("Comprehensive evaluation")
    LOWEST_PRICE = "lowest_price", _("Lowest evaluated price")


class SectionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    BIDDING = "bidding", _("Accepting bids")
    OPENING = "opening", _("Opening")
    EVALUATION = "evaluation", _("Evaluation")
    PUBLICITY = "publicity", _("Candidates publicized")
    AWARDED = "awarded", _("Awarded")
    CONTRACTED = "contracted", _("Contracted")
    ARCHIVED = "archived", _("Archived")
    FAILED = "failed", _("Failed (re-tender)")
    CANCELLED = "cancelled", _("Cancelled")


DEFAULT_READ_ITEMS = list(sheet.DEFAULT_READ_ITEMS)  # the items are ggzy_core's


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=40, unique=True)
    name = models.CharField(_("project name"), max_length=200)
    tenderee = models.ForeignKey(
        Organisation,
        verbose_name=_("tenderee"),
        on_delete=models.PROTECT,
        related_name="tendered_projects",
    )
    agency = models.ForeignKey(
        Organisation,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="agency_projects",
        null=True,
        blank=True,
    )
    # The trading centre hosting the opening, and the supervising department: each holds a
    # share of every section's opening key, as does the tenderee.
    centre = models.ForeignKey(
        Organisation,
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        related_name="hosted_projects",
    )
    regulator = models.ForeignKey(
        Organisation,
        verbose_name=_("regulator"),
        on_delete=models.PROTECT,
        related_name="supervised_projects",
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        Person, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Section(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="sections"
    )
    code = models.CharField(_("section code"), max_length=48, unique=True)
    name = models.CharField(_("section name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    estimated_price = models.DecimalField(
        _("estimated price (yuan)"), max_digits=16, decimal_places=2
    )
    price_ceiling = models.DecimalField(
        _("price ceiling (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    bid_deposit = models.DecimalField(
        _("bid deposit (yuan)"), max_digits=16, decimal_places=2, default=Decimal("0")
    )
    bid_validity_days = models.PositiveIntegerField(_("bid validity (days)"), default=90)
    documents_from = models.DateTimeField(_("tender documents issued from"))
    bid_deadline = models.DateTimeField(_("bid deadline = opening time"))
    decryption_window_minutes = models.PositiveIntegerField(
        _("decryption window (minutes)"), default=30
    )
    evaluation_method = models.CharField(
        _("evaluation method"), max_length=32, choices=EvaluationMethod.choices
    )
    evaluation_criteria = models.TextField(_("evaluation criteria"), blank=True)
    read_items = models.JSONField(_("items read out at opening"), default=list)

    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SectionStatus.choices,
        default=SectionStatus.DRAFT,
        db_index=True,
    )
    status_reason = models.TextField(_("status reason"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The chronograph's bookmark: the next moment a time event is due (None: nothing pending).
    next_check = models.DateTimeField(_("next check"), null=True, blank=True, db_index=True)
    # Suspended by the supervising department while a complaint is handled [R62]: no move
    # but cancellation, no time event, no stage advance in the hall until it is resumed.
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspended_reason = models.CharField(_("suspension reason"), max_length=500, blank=True)

    # A failed or cancelled section is tendered again as a new section [R44, R55, L28].
    retender_of = models.OneToOneField(
        "self",
        verbose_name=_("re-tender of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retendered_as",
    )

    opening_key_pem = models.TextField(_("opening key PEM"), blank=True)
    opening_key_fingerprint = models.CharField(
        _("opening key fingerprint"), max_length=64, blank=True
    )
    opening_key_threshold = models.PositiveSmallIntegerField(_("opening key threshold"), default=2)

    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["bid_deadline"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def embargo_scope(self) -> str:
        """The ledger embargo of this section's bid events (``ledger.append(...,
        embargo=section.embargo_scope)``): sealed until the bid deadline, and moved with it
        in the same transaction (services.section_publish, documents.clarification_issue), so
        nobody reads who has bid before the current deadline [E21, E27, R21]."""
        return f"trading.section:{self.pk}"


class OpeningKeyShare(models.Model):
    """One holder's Shamir share of the section's opening key, sealed to the holder's key."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="key_shares"
    )
    holder = models.ForeignKey(
        Organisation, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    holder_key_fingerprint = models.CharField(_("holder key fingerprint"), max_length=64)
    index = models.PositiveSmallIntegerField(_("index"))
    sealed_share = models.BinaryField(_("sealed share"))

    class Meta:
        verbose_name = _("opening key share")
        verbose_name_plural = _("opening key shares")
        constraints = [
            models.UniqueConstraint(fields=["section", "index"], name="one_share_per_index"),
            models.UniqueConstraint(fields=["section", "holder"], name="one_share_per_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.section.code} share {self.index}"


class TenderDocument(models.Model):
    """A version of the tender documents. Versions are kept; the newest is current."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="documents"
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="tender-documents/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    sm3 = models.CharField(_("SM3"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        Person, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("tender document")
        verbose_name_plural = _("tender documents")
        ordering = ["section", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["section", "version"], name="one_document_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.section.code} v{self.version}"


class DocumentDownload(models.Model):
    """Who fetched the documents: needed to notify them of clarifications [E22], and hidden
    from everyone — tenderee included — until the deadline [E21, L22]."""

    document = models.ForeignKey(
        TenderDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="downloads",
    )
    downloaded_at = models.DateTimeField(_("downloaded at"))
    network_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notify_email = models.EmailField(_("notify email"), blank=True)

    class Meta:
        verbose_name = _("document download")
        verbose_name_plural = _("document downloads")

    def __str__(self) -> str:
        return f"download of {self.document}"


class Clarification(models.Model):
    """A clarification or amendment (澄清/修改) [R21, L23]; may move the deadline."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="clarifications"
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    document = models.ForeignKey(
        TenderDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        Person, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    deadline_before = models.DateTimeField(_("deadline before"))
    deadline_after = models.DateTimeField(_("deadline after"))

    class Meta:
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")
        ordering = ["section", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="one_clarification_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.section.code} clarification {self.number}"


class Objection(models.Model):
    """What every objection records: who raised it, when, what, and the answer."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        Person, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"))
    text = models.TextField(_("text"))
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        Person,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["raised_at"]


class DocumentObjection(Objection):
    """An objection to the tender documents (异议) [R22]."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="objections"
    )
    answer_due = models.DateTimeField(_("answer due"))

    class Meta(Objection.Meta):
        verbose_name = _("objection to the tender documents")
        verbose_name_plural = _("objections to the tender documents")

    def __str__(self) -> str:
        return f"objection to {self.section.code}"


class Notification(models.Model):
    """A message to an organisation (in-app) and, where an address is known, by email."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    email = models.EmailField(_("email"), blank=True)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
