"""The alerts tables (top floor: may reference any app's models).

An ``Alert`` is one finding of one rule about one set of subjects (a shared value, a pair of
bidders, a committee seat…), kept once however often the rules run: its ``fingerprint`` is
unique. A regulator handles it as a case (open → investigating → closed with a conclusion);
each step is an ``AlertStep`` and a ledger entry [E49].
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, Person
from trading.models import Section


class RuleCode(models.TextChoices):
    SAME_MACHINE = "same_machine", _("Same machine fingerprint in different bidders' bids [R40]")
    SAME_FILE_CREATION_ID = (
        "same_file_creation_id",
        _("Same file-creation ID in different bidders' bids [R40]"),
    )
    SAME_UPLOAD_ADDRESS = "same_upload_address", _("Bids uploaded from the same address [R40]")
    SAME_CIPHERTEXT = "same_ciphertext", _("Identical sealed bids (ciphertext SM3) [R40]")
    SAME_DECRYPTED_FILE = (
        "same_decrypted_file",
        _("Identical decrypted files in different bidders' bids [R40]"),
    )
    SAME_DEPOSIT_PAYER = (
        "same_deposit_payer",
        _("One deposit payer account for several bidders [R40]"),
    )
    SAME_LEGAL_REPRESENTATIVE = (
        "same_legal_representative",
        _("Bidders under one legal representative [R34]"),
    )
    PRICE_PATTERN = "price_pattern", _("Prices in a regular pattern [R40]")
    NEAR_CEILING = "near_ceiling", _("Prices clustered just under the ceiling [R40]")
    HABITUAL_COBIDDERS = "habitual_cobidders", _("Habitual co-bidders across sections")
    SCORE_DEVIATION = "score_deviation", _("An expert's scores deviate strongly [R49]")
    LAST_SECONDS = "last_seconds", _("Bids in the last seconds from one address [R40]")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigating")
    CLOSED = "closed", pgettext_lazy("case", "Closed")  # 结案, not the deadline's 已截止


class Alert(models.Model):
    rule = models.CharField(_("rule"), max_length=32, choices=RuleCode.choices)
    # None for a cross-section rule (habitual co-bidders): ``sections`` says which ones.
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # Every section the alert is about (its own one, or those of a cross-section rule): who
    # may see it is decided through these.
    sections = models.ManyToManyField(Section, verbose_name=_("sections"), related_name="+")
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations involved"), related_name="+"
    )
    # SM3 of rule, section and subjects (runner.fingerprint): a rerun finds the alert again.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    summary = models.TextField(_("summary"), max_length=2000)
    evidence = models.JSONField(_("evidence"), default=dict)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    evidence_updated_at = models.DateTimeField(_("evidence updated at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    conclusion = models.TextField(_("conclusion"), max_length=4000, blank=True)
    handler = models.ForeignKey(
        Person,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["status", "raised_at"], name="alert_status_raised")]

    def __str__(self) -> str:
        return f"{self.rule} {self.pk}"


class AlertStep(models.Model):
    """One step of the case: a status change or a note (``source == target``)."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.PROTECT, related_name="steps"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    source = models.CharField(_("from"), max_length=16, choices=AlertStatus.choices)
    target = models.CharField(_("to"), max_length=16, choices=AlertStatus.choices)
    note = models.TextField(_("note"), max_length=4000, blank=True)
    ledger_sequence = models.BigIntegerField(_("ledger sequence"))

    class Meta:
        verbose_name = _("alert step")
        verbose_name_plural = _("alert steps")
        ordering = ["alert", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.source}→{self.target}"
