"""Bid deposits (投标保证金) and electronic guarantees (电子保函).

The money is kept in double-entry books (``BookAccount``, ``BookTransaction``,
``BookEntry``): every movement is one balanced transaction, balances are sums of entries,
and entries are never changed or removed (a correction is a new transaction). What the bank
says is kept beside them (``BankLine``), so ``check_books`` can prove both agree.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Person
from trading.models import Section


class BasicAccount(models.Model):
    """A bidder's registered basic account (基本账户): cash deposits must come from it [R26]."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="basic_account",
    )
    number = models.CharField(_("account number"), max_length=34)
    name = models.CharField(_("account name"), max_length=200)
    bank = models.CharField(_("bank"), max_length=200)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        Person, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("basic account")
        verbose_name_plural = _("basic accounts")

    def __str__(self) -> str:
        return f"{self.organisation} {self.number}"


class SubAccount(models.Model):
    """The virtual sub-account (虚拟子账号) one bidder pays one section's deposit into."""

    number = models.CharField(_("sub-account number"), max_length=20, unique=True)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    bidder = models.ForeignKey(
        Organisation, verbose_name=_("bidder"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("virtual sub-account")
        verbose_name_plural = _("virtual sub-accounts")
        constraints = [
            models.UniqueConstraint(fields=["section", "bidder"], name="one_sub_account_each")
        ]

    def __str__(self) -> str:
        return self.number


class LineSource(models.TextChoices):
    CALLBACK = "callback", _("Bank callback")
    FEED = "feed", _("Statement feed (JSON)")
    CSV = "csv", _("Statement file (CSV)")


class LineDirection(models.TextChoices):
    CREDIT = "credit", _("Money in")
    DEBIT = "debit", _("Money out")


class LineOutcome(models.TextChoices):
    MATCHED = "matched", _("Matched to a deposit")
    HELD_REVIEW = "held_review", _("Held: not from the basic account [R26]")
    HELD_LATE = "held_late", _("Held: arrived after the deadline")
    HELD_UNMATCHED = "held_unmatched", _("Held: no such sub-account")
    HELD_CLOSED = "held_closed", _("Held: section not taking deposits")
    PAYOUT = "payout", _("Payout")


class BankLine(models.Model):
    """One line of the bank's statement for the platform's collection account, however it
    arrived (callback, JSON feed, CSV file): one row per bank reference, so a callback
    delivered twice and the statement that repeats it are one line.

    A credit line is booked by an ``arrival`` transaction (``booking``) that books every line
    of its batch and section at once: the bank account is debited their sum, each deposit
    credited what ``counted`` towards it, and each line's rest credited to its own held
    account."""

    reference = models.CharField(_("bank reference"), max_length=64)
    direction = models.CharField(_("direction"), max_length=8, choices=LineDirection.choices)
    account = models.CharField(_("credited account"), max_length=34, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=34)
    counterparty_name = models.CharField(_("counterparty name"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    booked_at = models.DateTimeField(_("booked at (bank time)"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=LineSource.choices)
    received_at = models.DateTimeField(_("received at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=LineOutcome.choices)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    bidder = models.ForeignKey(
        Organisation,
        verbose_name=_("bidder"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    counted = models.DecimalField(
        _("counted towards the deposit (yuan)"), max_digits=18, decimal_places=2, default=0
    )
    booking = models.ForeignKey(
        "BookTransaction",
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="lines",
        null=True,
        blank=True,
        db_index=False,  # read through the line, never looked up by its booking
    )

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["booked_at", "pk"]
        # Each index is paid for on every line of a statement: the reference's without the
        # LIKE twin a unique=True field brings; none on the outcome (always asked with a
        # section or in a staff export).
        constraints = [models.UniqueConstraint(fields=["reference"], name="one_line_a_reference")]

    def __str__(self) -> str:
        return f"{self.reference} {self.direction} {self.amount}"


class BookAccountKind(models.TextChoices):
    BANK = "bank", _("Collection account at the bank (asset)")
    DEPOSIT = "deposit", _("A bidder's deposit in a section (liability)")
    HELD = "held", _("Held money of one bank line (liability)")
    INTEREST = "interest", _("Interest paid on refunds (expense)")
    FORFEITED = "forfeited", _("Forfeited deposits of a section (liability to the tenderee)")


class BookAccount(models.Model):
    """An account of the books. ``key`` names it (``deposit:<section>:<bidder>``)."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=BookAccountKind.choices)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    line = models.OneToOneField(
        BankLine,
        verbose_name=_("bank line"),
        on_delete=models.PROTECT,
        related_name="held_account",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("book account")
        verbose_name_plural = _("book accounts")

    def __str__(self) -> str:
        return self.key


class BookTransaction(models.Model):
    """One balanced movement. ``key`` makes posting idempotent (``line:<bank reference>``,
    ``refund:<id>``): posting the same key twice posts once."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=24)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    value_date = models.DateField(_("value date"))
    posted_at = models.DateTimeField(_("posted at"))

    class Meta:
        verbose_name = _("book transaction")
        verbose_name_plural = _("book transactions")
        triggers = [
            pgtrigger.Protect(
                name="book_transaction_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return self.key


class BookEntry(models.Model):
    """One side of a transaction: ``amount`` > 0 is a debit, < 0 a credit."""

    transaction = models.ForeignKey(
        BookTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.ForeignKey(
        BookAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("book entry")
        verbose_name_plural = _("book entries")
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="entry_not_zero")]
        triggers = [
            pgtrigger.Protect(
                name="book_entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


class RefundReason(models.TextChoices):
    WITHDRAWN = "withdrawn", _("Bid withdrawn before the deadline [R35]")
    CONTRACT = "contract", _("Contract signed [R57]")
    TERMINATED = "terminated", _("Tender terminated [R31]")
    HELD = "held", _("Held money returned to its payer")


class RefundStatus(models.TextChoices):
    DUE = "due", _("Due")
    SENDING = "sending", _("Sent to the bank")
    PAID = "paid", _("Paid out")


class Refund(models.Model):
    """Money owed back. Its id is the payout's idempotency key at the bank: however often
    the payout is retried, the bank pays it once."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    reason = models.CharField(_("reason"), max_length=12, choices=RefundReason.choices)
    account = models.ForeignKey(
        BookAccount, verbose_name=_("book account"), on_delete=models.PROTECT, related_name="+"
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    payee = models.ForeignKey(
        Organisation,
        verbose_name=_("payee"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_account = models.CharField(_("to account"), max_length=34)
    to_name = models.CharField(_("to name"), max_length=200, blank=True)
    principal = models.DecimalField(_("principal (yuan)"), max_digits=18, decimal_places=2)
    interest = models.DecimalField(
        _("interest (yuan)"), default=Decimal("0"), max_digits=18, decimal_places=2
    )
    decided_at = models.DateTimeField(_("decided at"))
    due_by = models.DateField(_("due by"))
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RefundStatus.choices,
        default=RefundStatus.DUE,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The bank's idempotency key of the current payout: kept across retries (the bank pays it
    # once); a new one only after the bank refused the payout outright.
    payout_key = models.CharField(_("payout key"), max_length=80, blank=True)
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["due_by", "decided_at"]

    def __str__(self) -> str:
        return f"{self.to_account} {self.principal}+{self.interest}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


class Forfeiture(models.Model):
    """A staff decision to forfeit a deposit or claim a guarantee [R35, R74]; open to
    complaint, so its reason is kept and ledgered."""

    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    bidder = models.ForeignKey(
        Organisation, verbose_name=_("bidder"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    reason = models.TextField(_("reason"))
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        Person, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("forfeiture")
        verbose_name_plural = _("forfeitures")

    def __str__(self) -> str:
        return f"{self.section_id} {self.bidder_id} {self.amount}"


class InterestRate(models.Model):
    """The current-deposit (活期) rate refunds earn from ``effective_from`` on [R57]."""

    effective_from = models.DateField(_("effective from"), unique=True)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=7, decimal_places=6)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("interest rate")
        verbose_name_plural = _("interest rates")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.annual_rate}"


class CalendarDay(models.Model):
    """A day the State Council's holiday notice makes a holiday or a make-up working day,
    for years the chinese-calendar package does not know yet."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("is a working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"


class CallbackNonce(models.Model):
    """A bank callback's nonce, kept while its timestamp is fresh: a replay is refused."""

    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    seen_at = models.DateTimeField(_("seen at"), db_index=True)

    class Meta:
        verbose_name = _("callback nonce")
        verbose_name_plural = _("callback nonces")

    def __str__(self) -> str:
        return self.nonce


class AlertKind(models.TextChoices):
    SHARED_PAYER = "shared_payer", _("One payer account for two bidders in a section [R40]")
    BOOKS_DIFFER = "books_differ", _("The books differ from the bank statement")
    REFUND_DUE_SOON = "refund_due_soon", _("A refund falls due soon")
    REFUND_OVERDUE = "refund_overdue", _("A refund is overdue [R35, R57]")
    CALENDAR_UNKNOWN = "calendar_unknown", _("Working days unknown for a year")
    GUARANTEE_REVOKED = "guarantee_revoked", _("A guarantee revoked after the deadline [R35]")
    CLAIM_UNANSWERED = "claim_unanswered", _("A guarantee claim the issuer has not answered")


class Alert(models.Model):
    """Something a person must look at. ``key`` keeps one alert per fact."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    message = models.TextField(_("message"))
    evidence = models.JSONField(_("evidence"), default=dict)
    raised_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit alert")
        verbose_name_plural = _("deposit alerts")
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class IssuerKind(models.TextChoices):
    BANK = "bank", _("Commercial bank")
    INSURER = "insurer", _("Insurer")
    GUARANTOR = "guarantor", _("Guarantee company")


class Issuer(models.Model):
    """A registered issuer of electronic guarantees and the SM2 key it signs with."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=IssuerKind.choices)
    public_key_pem = models.TextField(_("public key PEM"))
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, unique=True)
    claim_url = models.URLField(_("claim URL"), blank=True)
    is_active = models.BooleanField(_("is active"), default=True)
    registered_at = models.DateTimeField(_("registered at"))

    class Meta:
        verbose_name = _("guarantee issuer")
        verbose_name_plural = _("guarantee issuers")

    def __str__(self) -> str:
        return self.name


class GuaranteeStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked by the issuer")
    CLAIMED = "claimed", _("Claimed (forfeited)")
    RELEASED = "released", _("Released")


class Guarantee(models.Model):
    """An electronic guarantee (电子保函) accepted in place of a cash deposit.

    ``payload`` is the issuer's signed JSON exactly as accepted (canonical form, so
    ``ggzy_core.guarantee.payload_bytes(payload)`` gives back the signed bytes) and
    ``signature`` the issuer's SM2 signature over them. Numbers are the issuer's: unique per
    issuer, not across issuers (docs/guarantees.md)."""

    number = models.CharField(_("guarantee number"), max_length=64, db_index=True)
    # Kept in clear: an issuer that lost the answer to its submission gets the code again
    # from its retry (docs/guarantees.md). Never in the ledger or a log.
    verification_code = models.CharField(_("verification code"), max_length=16)
    issuer = models.ForeignKey(
        Issuer, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="guarantees"
    )
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="+"
    )
    bidder = models.ForeignKey(
        Organisation, verbose_name=_("bidder"), on_delete=models.PROTECT, related_name="+"
    )
    beneficiary = models.ForeignKey(
        Organisation, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=18, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    document = models.FileField(_("guarantee document"), upload_to="guarantees/%Y/%m/")
    document_sm3 = models.CharField(_("document SM3"), max_length=64)
    payload = models.JSONField(_("signed payload"))
    signature = models.BinaryField(_("signature"))
    status = models.CharField(
        _("status"), max_length=12, choices=GuaranteeStatus.choices, default=GuaranteeStatus.VALID
    )
    received_at = models.DateTimeField(_("received at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The issuer's signed revocation request (path, timestamp, nonce, body, signature), kept
    # so anyone can check it later.
    revocation = models.JSONField(_("signed revocation"), null=True, blank=True)
    revoked_after_deadline = models.BooleanField(_("revoked after the deadline"), default=False)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("electronic guarantee")
        verbose_name_plural = _("electronic guarantees")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "number"], name="one_guarantee_per_number")
        ]
        indexes = [models.Index(fields=["section", "bidder"], name="guarantee_section_bidder")]

    def __str__(self) -> str:
        return self.number


class IssuerNonce(models.Model):
    """A nonce an issuer's request used, kept while its timestamp could still be accepted:
    the same signed request sent again is refused."""

    issuer = models.ForeignKey(
        Issuer, verbose_name=_("issuer"), on_delete=models.CASCADE, related_name="+"
    )
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"), db_index=True)

    class Meta:
        verbose_name = _("issuer request nonce")
        verbose_name_plural = _("issuer request nonces")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "nonce"], name="one_use_per_issuer_nonce")
        ]

    def __str__(self) -> str:
        return self.nonce


class GuaranteeClaim(models.Model):
    """A claim (forfeiture) sent to the issuer, and what the issuer answered. ``key`` is the
    claim id the issuer sees and its idempotency key: however often the platform sends the
    claim, the issuer records it once."""

    key = models.UUIDField(_("claim id"), unique=True, default=uuid.uuid4, editable=False)
    guarantee = models.OneToOneField(
        Guarantee, verbose_name=_("guarantee"), on_delete=models.PROTECT, related_name="claim"
    )
    forfeiture = models.OneToOneField(
        Forfeiture, verbose_name=_("forfeiture"), on_delete=models.PROTECT, related_name="claim"
    )
    amount = models.DecimalField(_("amount claimed (yuan)"), max_digits=18, decimal_places=2)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("first sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    issuer_reference = models.CharField(_("issuer reference"), max_length=64, blank=True)
    # The issuer's signed answer: its canonical JSON and its SM2 signature (hex).
    answer = models.JSONField(_("issuer answer"), null=True, blank=True)
    answer_signature = models.CharField(_("answer signature"), max_length=160, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("guarantee claim")
        verbose_name_plural = _("guarantee claims")

    def __str__(self) -> str:
        return f"claim {self.key}"
