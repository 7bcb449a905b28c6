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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # Chosen by the client; a retry with the same key continues, never makes a second bid.
    idempotency_key = models.CharField(max_length=64)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    parts = models.PositiveIntegerField(default=0)
    replaces = models.ForeignKey(
        "Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.OPEN)
    refusal_code = models.CharField(max_length=40, blank=True)
    refusal_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    network_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
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
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="bids")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="bids")
    upload = models.OneToOneField(Upload, on_delete=models.PROTECT, related_name="bid")
    size = models.BigIntegerField()
    sm3 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BidStatus.choices, default=BidStatus.RECEIVED)
    manifest = models.JSONField()
    key_fingerprint = models.CharField(max_length=64)
    machine_fingerprint = models.CharField(max_length=128, blank=True)
    file_creation_id = models.CharField(max_length=128, blank=True)
    network_address = models.GenericIPAddressField(null=True, blank=True)
    flags = models.JSONField(default=list, help_text="collusion signals noticed at receipt")
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # opaque [E21]
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(max_length=16, choices=ReceiptKind.choices)
    payload = models.JSONField()
    signature = models.BinaryField()
    key_fingerprint = models.CharField(max_length=64)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["issued_at"]
        constraints = [models.UniqueConstraint(fields=["bid", "kind"], name="one_receipt_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} receipt for {self.bid}"
