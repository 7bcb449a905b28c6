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
        Organisation, on_delete=models.PROTECT, related_name="tendered_projects"
    )
    agency = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="agency_projects",
        null=True,
        blank=True,
    )
    # The trading centre hosting the opening, and the supervising department: each holds a
    # share of every section's opening key, as does the tenderee.
    centre = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="hosted_projects"
    )
    regulator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="supervised_projects"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Section(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="sections")
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
        max_length=16, choices=SectionStatus.choices, default=SectionStatus.DRAFT, db_index=True
    )
    status_reason = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The chronograph's bookmark: the next moment a time event is due (None: nothing pending).
    next_check = models.DateTimeField(null=True, blank=True, db_index=True)

    opening_key_pem = models.TextField(blank=True)
    opening_key_fingerprint = models.CharField(max_length=64, blank=True)
    opening_key_threshold = models.PositiveSmallIntegerField(default=2)

    created_at = models.DateTimeField()

    class Meta:
        ordering = ["bid_deadline"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def embargo_scope(self) -> str:
        """The ledger embargo of this section's bid events (``ledger.append(...,
        embargo=section.embargo_scope)``): sealed until the bid deadline, and moved with it
        in the same transaction (services.section_publish, documents.clarification_issue), so
        nobody reads who has bid before the current deadline [E21, E27, R21]."""
        return f"trading.section:{self.pk}"


class OpeningKeyShare(models.Model):
    """One holder's Shamir share of the section's opening key, sealed to the holder's key."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="key_shares")
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    holder_key_fingerprint = models.CharField(max_length=64)
    index = models.PositiveSmallIntegerField()
    sealed_share = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "index"], name="one_share_per_index"),
            models.UniqueConstraint(fields=["section", "holder"], name="one_share_per_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.section.code} share {self.index}"


class TenderDocument(models.Model):
    """A version of the tender documents. Versions are kept; the newest is current."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="tender-documents/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sm3 = models.CharField(max_length=64)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["section", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["section", "version"], name="one_document_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.section.code} v{self.version}"


class DocumentDownload(models.Model):
    """Who fetched the documents: needed to notify them of clarifications [E22], and hidden
    from everyone — tenderee included — until the deadline [E21, L22]."""

    document = models.ForeignKey(TenderDocument, on_delete=models.PROTECT, related_name="downloads")
    downloaded_at = models.DateTimeField()
    network_address = models.GenericIPAddressField(null=True, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notify_email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return f"download of {self.document}"


class Clarification(models.Model):
    """A clarification or amendment (澄清/修改) [R21, L23]; may move the deadline."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="clarifications")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    document = models.ForeignKey(
        TenderDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    deadline_before = models.DateTimeField()
    deadline_after = models.DateTimeField()

    class Meta:
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

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    text = models.TextField()
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["raised_at"]


class DocumentObjection(Objection):
    """An objection to the tender documents (异议) [R22]."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="objections")
    answer_due = models.DateTimeField()

    def __str__(self) -> str:
        return f"objection to {self.section.code}"


class Notification(models.Model):
    """A message to an organisation (in-app) and, where an address is known, by email."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    email = models.EmailField(blank=True)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
