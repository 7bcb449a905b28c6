"""Sealed bids as the server sees them: ciphertext, its SM3, and signed receipts."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person
from trading.models import Section


class UploadState(models.TextChoices):
    OPEN = "open", _("Uploading")
    COMPLETE = "complete", _("Complete")
    REFUSED = "refused", _("Refused")
    # Ended by the bidder (tus termination) or by the deadline: parts deleted, address gone.
    TERMINATED = "terminated", _("Terminated")
    EXPIRED = "expired", _("Expired")


# States whose upload has no stored bytes and whose address answers 410 Gone.
GONE = frozenset({UploadState.TERMINATED, UploadState.EXPIRED})


class Upload(models.Model):
    """A resumable upload (tus 1.0): parts are stored as they arrive; the bid exists only
    once the last byte is in and verified."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    # Chosen by the client; a retry with the same key continues, never makes a second bid.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    length = models.BigIntegerField(_("length"))
    offset = models.BigIntegerField(_("offset"), default=0)
    parts = models.PositiveIntegerField(_("parts"), default=0)
    replaces = models.ForeignKey(
        "Bid",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=UploadState.choices, default=UploadState.OPEN
    )
    refusal_code = models.CharField(_("refusal code"), max_length=40, blank=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    network_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)

    class Meta:
        verbose_name = _("bid upload")
        verbose_name_plural = _("bid uploads")
        constraints = [
            # A terminated upload frees its key: the same file may be sent again afresh.
            models.UniqueConstraint(
                fields=["organisation", "section", "idempotency_key"],
                condition=~Q(state="terminated"),
                name="one_upload_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"upload {self.id}"

    def part_name(self, index: int) -> str:
        return f"bids/uploads/{self.id}/part-{index:06d}"


class BidStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    REPLACED = "replaced", _("Replaced")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Bid(models.Model):
    # Opaque: an integer id would tell a bidder how many bids the platform received before
    # its own [E21]. Bids are numbered at the opening (realtime.BidOpening.number), not here.
    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="bids"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="bids"
    )
    upload = models.OneToOneField(
        Upload, verbose_name=_("upload"), on_delete=models.PROTECT, related_name="bid"
    )
    size = models.BigIntegerField(_("size"))
    sm3 = models.CharField(_("SM3"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(
        _("status"), max_length=16, choices=BidStatus.choices, default=BidStatus.RECEIVED
    )
    manifest = models.JSONField(_("manifest"))
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    machine_fingerprint = models.CharField(_("machine fingerprint"), max_length=128, blank=True)
    file_creation_id = models.CharField(_("file creation ID"), max_length=128, blank=True)
    network_address = models.GenericIPAddressField(_("network address"), null=True, blank=True)
    flags = models.JSONField(
        _("flags"), default=list, help_text="collusion signals noticed at receipt"
    )
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["section", "received_at"]
        constraints = [
            # One live bid per bidder and section; a new one only through replace [E27].
            models.UniqueConstraint(
                fields=["section", "organisation"],
                condition=Q(status="received"),
                name="one_live_bid_per_bidder",
            ),
        ]

    def __str__(self) -> str:
        return f"bid {self.id} in {self.section.code}"


class ReceiptKind(models.TextChoices):
    RECEIVED = "received", _("Bid received")
    WITHDRAWN = "withdrawn", _("Bid withdrawn")


class Receipt(models.Model):
    """A platform-signed statement about a bid (received, withdrawn), verifiable offline."""

    id = models.UUIDField(
        _("ID"), primary_key=True, default=uuid.uuid4, editable=False
    )  # opaque [E21]
    bid = models.ForeignKey(
        Bid, verbose_name=_("bid"), on_delete=models.PROTECT, related_name="receipts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReceiptKind.choices)
    payload = models.JSONField(_("payload"))
    signature = models.BinaryField(_("signature"))
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["issued_at"]
        constraints = [models.UniqueConstraint(fields=["bid", "kind"], name="one_receipt_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} receipt for {self.bid}"
