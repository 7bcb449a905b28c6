"""Organisations (by unified social credit code), the people who act for them, their keys."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.credit_code import validate_credit_code


class OrganisationKind(models.TextChoices):
    BIDDER = "bidder", _("Bidder")
    TENDEREE = "tenderee", _("Tenderee")
    AGENCY = "agency", _("Tendering agency")
    CENTRE = "centre", _("Trading centre")
    REGULATOR = "regulator", _("Supervising department")


class Role(models.TextChoices):
    BIDDER = "bidder", _("Bidder")
    TENDEREE = "tenderee", _("Tenderee / agency")
    STAFF = "staff", _("Centre staff")
    EXPERT = "expert", _("Expert")
    REGULATOR = "regulator", _("Regulator")


# Which role a person may hold in which kind of organisation. Experts act for themselves.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.BIDDER: frozenset({Role.BIDDER}),
    OrganisationKind.TENDEREE: frozenset({Role.TENDEREE}),
    OrganisationKind.AGENCY: frozenset({Role.TENDEREE}),
    OrganisationKind.CENTRE: frozenset({Role.STAFF}),
    OrganisationKind.REGULATOR: frozenset({Role.REGULATOR}),
}
# Kinds anyone may register through the public form; the centre and regulators are set up
# by centre staff.
SELF_REGISTERED_KINDS = (
    OrganisationKind.BIDDER,
    OrganisationKind.TENDEREE,
    OrganisationKind.AGENCY,
)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    # SM3 of the representative's normalised ID number: enough to flag two bidders under one
    # legal representative [R34] without keeping the number itself.
    legal_representative_id_digest = models.CharField(
        _("legal representative ID digest"), max_length=64, blank=True, db_index=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("is active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credit_code})"


class PersonManager(UserManager["Person"]):
    pass


class Person(AbstractUser):
    """A person who logs in. Acts for at most one organisation, in one role."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True)
    is_organisation_admin = models.BooleanField(
        _("manages the organisation"),
        default=False,
        help_text=_("May add people and bind keys for the organisation."),
    )

    objects: ClassVar[PersonManager] = PersonManager()

    def __str__(self) -> str:
        return self.display_name or self.username


class KeyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class OrganisationKey(models.Model):
    """An SM2 public key bound to an organisation. Retired, never deleted: old receipts and
    signatures must still verify."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="keys"
    )
    fingerprint = models.CharField(_("fingerprint (SM3 of SPKI)"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("public key PEM"))
    certificate_pem = models.TextField(_("certificate PEM"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=KeyStatus.choices, default=KeyStatus.ACTIVE
    )
    bound_at = models.DateTimeField(_("bound at"))
    bound_by = models.ForeignKey(
        Person,
        verbose_name=_("bound by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(
        Person,
        verbose_name=_("retired by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("organisation key")
        verbose_name_plural = _("organisation keys")
        ordering = ["-bound_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status="active"),
                name="one_active_key_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.credit_code} {self.fingerprint[:16]}…"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Keys are retired, never deleted / 密钥只能停用，不能删除")


# --- Credit records (信用记录, issue 11) ----------------------------------------------------
# Penalties and bad behaviour on record, per organisation or person; docs/credit.md. The
# services in accounts/credit.py enter and revoke them; nothing edits or deletes one.


class CreditKind(models.TextChoices):
    PENALTY = "penalty", _("Administrative penalty")  # 行政处罚
    BAD_BEHAVIOUR = "bad_behaviour", _("Bad behaviour")  # 不良行为记录
    DISHONEST = "dishonest", _("Dishonest (serious)")  # 失信（严重失信主体名单、失信被执行人）


class CreditBar(models.TextChoices):
    """What the record bars while in force."""

    NONE = "none", _("Nothing (on record only)")
    # [L53, L54, R67, R68]: barred from bidding in tenders that must be tendered.
    BIDDING = "bidding", _("Bidding")
    # [R71, R72, P12]: barred from evaluation committees.
    EVALUATING = "evaluating", _("Acting as an evaluation expert")


class CreditSource(models.TextChoices):
    DECISION = "decision", _("Decision of a supervising department")
    COURT = "court", _("People's court (judgment debtors list)")
    LIST = "list", _("Imported credit list")


class CreditRecord(models.Model):
    """A penalty or bad behaviour on record, of exactly one organisation or one person, for a
    period. Never edited or deleted: a correction revokes it (with a reason) and enters a
    new one that names it (``corrects``); each step is ledgered."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="credit_records",
        null=True,
        blank=True,
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="credit_records",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CreditKind.choices)
    bars = models.CharField(_("bars"), max_length=12, choices=CreditBar.choices)
    source = models.CharField(_("source"), max_length=12, choices=CreditSource.choices)
    authority = models.CharField(_("decided by"), max_length=200)
    decision_number = models.CharField(_("decision number"), max_length=100)
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"), max_length=2000)
    starts_on = models.DateField(_("in force from"))
    ends_on = models.DateField(_("in force until"))
    # Only organisations' records may be published [R79]; a person's is personal data.
    public = models.BooleanField(_("published on the dishonest list"), default=False)
    entered_by = models.ForeignKey(
        Person, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    # The SM3 of the file a record was imported from (blank: entered by hand).
    import_sm3 = models.CharField(_("imported from (file SM3)"), max_length=64, blank=True)
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        related_name="corrected_by",
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        Person,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, person__isnull=True)
                | Q(organisation__isnull=True, person__isnull=False),
                name="credit_record_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="credit_record_forward"
            ),
            models.CheckConstraint(
                condition=Q(public=False) | Q(person__isnull=True),
                name="credit_record_person_never_public",
            ),
        ]
        indexes = [models.Index(fields=["ends_on", "starts_on"], name="credit_record_period")]

    def __str__(self) -> str:
        return f"{self.decision_number} ({self.kind})"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(
            "Credit records are revoked, never deleted / 信用记录只能撤销，不能删除"
        )
