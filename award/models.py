"""After the committee's report: candidate publicity, objections to the result, the award
and its notices, the contract (docs/award.md).

Each notice is canonical JSON signed by the platform (as the opening record is), so the
archive and anyone holding the platform key can check it offline; the JSON's SM3 is in the
ledger entry that issued it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person
from trading.models import Objection, Section


class SignedDocument(models.Model):
    """Canonical JSON signed by the platform key (``ggzy.signing``) under a domain prefix."""

    content = models.BinaryField(_("content (canonical JSON)"))
    content_sm3 = models.CharField(_("SM3 of the content"), max_length=64)
    signature = models.BinaryField(_("platform signature (DER)"))
    key_fingerprint = models.CharField(_("platform key fingerprint"), max_length=64)

    class Meta:
        abstract = True


class Publicity(SignedDocument):
    """The publicity of the candidates (中标候选人公示) [R54]: ≥ 3 days from the report."""

    section = models.OneToOneField(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="publicity"
    )
    report_sm3 = models.CharField(_("SM3 of the evaluation report"), max_length=64)
    # [{"rank", "number", "organisation_id", "bidder", "credit_code", "price", "terms"}]
    candidates = models.JSONField(_("candidates"))
    starts_at = models.DateTimeField(_("publicized from"))
    ends_at = models.DateTimeField(_("publicized until"))

    class Meta:
        verbose_name = _("candidate publicity")
        verbose_name_plural = _("candidate publicities")

    def __str__(self) -> str:
        return f"publicity of {self.section.code}"


class OutcomeOfObjection(models.TextChoices):
    DISMISSED = "dismissed", _("Not upheld")  # 异议不成立
    UPHELD = "upheld", _("Upheld")  # 异议成立


class ResultObjection(Objection):
    """An objection to the evaluation result during publicity (对评标结果的异议) [R54]. The
    award waits until every one is answered; the tenderee answers within 3 days."""

    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="result_objections",
    )
    answer_due = models.DateTimeField(_("answer due"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=OutcomeOfObjection.choices, blank=True
    )
    # What an upheld objection changed: a candidate excluded (the next one is awarded), or
    # the section re-tendered [R54]. Neither for a dismissed one.
    excludes_number = models.PositiveIntegerField(
        _("candidate excluded (bid number)"), null=True, blank=True
    )
    retender = models.BooleanField(_("re-tender"), default=False)
    # When the chronograph told the tenderee and the department that the answer is overdue.
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)

    class Meta(Objection.Meta):
        verbose_name = _("objection to the result")
        verbose_name_plural = _("objections to the result")

    def __str__(self) -> str:
        return f"objection to the result of {self.section.code}"


class AwardStatus(models.TextChoices):
    NOTIFIED = "notified", _("Award notice issued")  # 已发中标通知书
    DECLINED = "declined", _("Declined by the winner")  # 中标人放弃或拒签 [R55]
    CONTRACTED = "contracted", _("Contract recorded")


class Award(SignedDocument):
    """An award notice (中标通知书) [L45]. A winner who declines leaves a declined award and
    the tenderee may award the next candidate [R55]: one section, several awards, one live."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="awards"
    )
    rank = models.PositiveSmallIntegerField(_("candidate rank"))
    number = models.PositiveIntegerField(_("bid number at the opening"))
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("winner"), on_delete=models.PROTECT, related_name="+"
    )
    price = models.DecimalField(_("winning price (yuan)"), max_digits=16, decimal_places=2)
    # The winning bid's opening sheet as read out: what the contract must match [L46].
    terms = models.JSONField(_("terms of the winning bid"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=AwardStatus.choices, default=AwardStatus.NOTIFIED
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        Person, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    contract_due = models.DateTimeField(_("contract due"))
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    # When the chronograph told the parties that the 30 days for the contract are over [L46].
    overdue_notified_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["section", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["section", "rank"], name="one_award_per_rank"),
            models.UniqueConstraint(
                fields=["section"],
                condition=~models.Q(status="declined"),
                name="one_live_award_per_section",
            ),
        ]

    def __str__(self) -> str:
        return f"award of {self.section.code} (rank {self.rank})"


class ResultNotice(SignedDocument):
    """A result notice (中标结果通知书) to a bidder that did not win [L45]."""

    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="result_notices"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("bidder"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("result notice")
        verbose_name_plural = _("result notices")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "organisation"], name="one_result_notice_per_bidder"
            )
        ]

    def __str__(self) -> str:
        return f"result notice to {self.organisation_id}"


class Contract(SignedDocument):
    """The contract as recorded (合同备案) [L46]: its key terms, checked against the tender
    and the winning bid, and the signed contract file with its SM3."""

    award = models.OneToOneField(
        Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="contract"
    )
    number = models.CharField(_("contract number"), max_length=64)
    signed_on = models.DateField(_("signed on"))
    price = models.DecimalField(_("contract price (yuan)"), max_digits=16, decimal_places=2)
    terms = models.JSONField(_("key terms"), default=dict)
    document = models.FileField(_("contract file"), upload_to="contracts/")
    document_name = models.CharField(_("file name"), max_length=200)
    document_sm3 = models.CharField(_("SM3 of the file"), max_length=64)
    document_size = models.PositiveBigIntegerField(_("file size"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        Person, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return f"contract {self.number}"

    @property
    def late(self) -> bool:
        """Recorded after the 30 days from the award notice [L46]: accepted, marked late."""
        return self.recorded_at > self.award.contract_due
