"""The online opening hall (不见面开标大厅): one per section, its stage, its event stream."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, Person
from bidding.models import Bid
from trading.models import Objection, Section


class HallStage(models.TextChoices):
    WAITING = "waiting", _("Waiting for the opening time")
    SIGN_IN = "sign_in", _("Sign-in")
    BIDDERS = "bidders", _("Bidder list")
    DECRYPTION = "decryption", _("Decryption")
    READING = "reading", _("Reading out the bids")
    CONFIRMATION = "confirmation", _("Confirmation")
    OBJECTIONS = "objections", _("Objections")
    CLOSED = "closed", pgettext_lazy("hall stage", "Closed")
    FAILED = "failed", _("No opening")


class Hall(models.Model):
    section = models.OneToOneField(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="hall"
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=HallStage.choices, default=HallStage.WAITING
    )
    stage_started_at = models.DateTimeField(_("stage started at"))
    # When the current stage's window closes (decryption, confirmation); None: no window.
    stage_deadline = models.DateTimeField(_("stage deadline"), null=True, blank=True)
    sequence = models.BigIntegerField(
        _("sequence"), default=0, help_text="number of the last event"
    )
    host = models.ForeignKey(
        Person,
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reading = models.JSONField(_("reading"), null=True, blank=True)
    reading_sm3 = models.CharField(_("reading SM3"), max_length=64, blank=True)
    record_json = models.BinaryField(_("record JSON"), null=True, blank=True)
    record_pdf = models.FileField(_("record PDF"), upload_to="opening-records/", blank=True)
    record_signature = models.JSONField(_("record signature"), null=True, blank=True)
    # The record is built by a task after the close, outside the hall's lock (issue 7):
    # when it was last asked for, so the chronograph can ask again if no worker answered.
    record_requested_at = models.DateTimeField(_("record requested at"), null=True, blank=True)
    # When the host started the rescue of bids the platform failed to decrypt [E31]: the only
    # time the opening key's sealed shares are released. None again once the key is rebuilt.
    rescue_started_at = models.DateTimeField(_("rescue started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening hall")
        verbose_name_plural = _("opening halls")

    def __str__(self) -> str:
        return f"hall {self.section.code}"


class HallEvent(models.Model):
    """Every public change in the hall, numbered: clients resync from these."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="events"
    )
    sequence = models.BigIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=40)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("hall event")
        verbose_name_plural = _("hall events")
        ordering = ["hall", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "sequence"], name="one_event_per_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.hall} #{self.sequence} {self.kind}"


class OpeningStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the bidder's key")
    DECRYPTING = "decrypting", _("Decrypting")
    DECRYPTED = "decrypted", _("Decrypted")
    FAILED = "failed", _("Decryption failed (platform)")
    REVOKED = "revoked", _("Revoked (not decrypted by the bidder)")  # 撤销 [E31]
    WITHDRAWN = "withdrawn", _("Withdrawn (not decryptable)")  # 撤回 [E31]


class BidOpening(models.Model):
    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="openings"
    )
    bid = models.OneToOneField(
        Bid, verbose_name=_("bid"), on_delete=models.PROTECT, related_name="opening"
    )
    # The bid's number in this opening, given when the hall opens, in order of the signed
    # receipt times (received_at, then the bid's id): nothing numbers bids before the
    # deadline, so no receipt can tell a bidder how many others bid [E21]; the order stays
    # provable from the receipts.
    number = models.PositiveIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=16, choices=OpeningStatus.choices, default=OpeningStatus.PENDING
    )
    # The bid's content key, only after the deadline and only once it opened the bid's sheet.
    # Never logged, never ledgered, never sent to a client.
    content_key = models.BinaryField(_("content key"), null=True, blank=True)
    key_source = models.CharField(
        _("key source"), max_length=16, blank=True, help_text="bidder or opening_key"
    )
    sheet = models.JSONField(_("sheet"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decrypted_at = models.DateTimeField(_("decrypted at"), null=True, blank=True)
    failure = models.TextField(_("failure"), blank=True)

    class Meta:
        verbose_name = _("bid opening")
        verbose_name_plural = _("bid openings")
        ordering = ["hall", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="one_bid_per_opening_number")
        ]

    def __str__(self) -> str:
        return f"opening of {self.bid} (no. {self.number})"


class SignIn(models.Model):
    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="sign_ins"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    signed_in_at = models.DateTimeField(_("signed in at"))

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        constraints = [
            models.UniqueConstraint(fields=["hall", "organisation"], name="one_sign_in_per_bidder")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.hall}"


class Decision(models.TextChoices):
    CONFIRM = "confirm", _("Confirmed")
    OBJECT = "object", _("Objected")


class Confirmation(models.Model):
    """A bidder's answer to the reading: its SM2 signature over the reading table's SM3."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="confirmations"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    reading_sm3 = models.CharField(_("reading SM3"), max_length=64)
    signature = models.BinaryField(_("signature"))
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("confirmation of the reading")
        verbose_name_plural = _("confirmations of the reading")
        constraints = [
            models.UniqueConstraint(fields=["hall", "organisation"], name="one_answer_per_bidder")
        ]

    def __str__(self) -> str:
        return f"{self.decision} by {self.organisation}"


class HallObjection(Objection):
    """An objection raised in the hall, answered on the spot and recorded [R44]."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="objections"
    )

    class Meta(Objection.Meta):
        verbose_name = _("objection in the hall")
        verbose_name_plural = _("objections in the hall")

    def __str__(self) -> str:
        return f"objection by {self.organisation}"


class ShareSubmission(models.Model):
    """A holder's opened share of the opening key, given only after the deadline and only
    when a bid must be rescued [E31]. Erased once the key has been rebuilt."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("hall"), on_delete=models.PROTECT, related_name="shares"
    )
    holder = models.ForeignKey(
        Organisation, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    share = models.BinaryField(_("share"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("share submission")
        verbose_name_plural = _("share submissions")
        constraints = [
            models.UniqueConstraint(fields=["hall", "holder"], name="one_share_per_holder_in_hall")
        ]

    def __str__(self) -> str:
        return f"share of {self.holder} for {self.hall}"
