"""Deposits in Django admin: read-only, and sealed like the pages.

Money moves only through the services (matching, refunds, decisions), so books, bank lines,
refunds, sub-accounts and guarantees have no add, change or delete here. The interest-rate
table and the calendar days are staff's to maintain: admin saves and deletes them through
deposits.reference_data (checked, ledgered).

Before a section's deadline nobody may learn that a bidder has paid there [E21, E27], so each
list holds only the rows deposits.access shows on the staff pages (of no section, or of a
section past its deadline, of the centre one works for), and rows are addressed by their
natural key (bank reference, sub-account number, book key…) rather than a sequential id
whose gaps would count the hidden ones. Book entries are shown inside their transaction;
balances are not shown: the collection account's would sum sealed deposits too. Callback
nonces are not listed: they are the bank adapter's replay guard, nothing a person reads.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import Person
from deposits import access, reference_data
from deposits.models import (
    Alert,
    BankLine,
    BasicAccount,
    BookAccount,
    BookTransaction,
    CalendarDay,
    Forfeiture,
    Guarantee,
    GuaranteeClaim,
    InterestRate,
    Issuer,
    Refund,
    SubAccount,
)
from ggzy.errors import DomainError


class SealedDepositsAdmin(admin.ModelAdmin):
    """Read-only; rows of sealed (or other centres') sections are not there; natural keys."""

    via: str | None = "section"  # the path from a row to its section; None: no section
    natural_key = "pk"
    actions = None
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        if self.via is None:
            return rows
        return rows.filter(access.visible(request.user, via=self.via))

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # Only the natural key: ?_to_field=id must not turn the address back into a number.
        try:
            return self.get_queryset(request).filter(**{self.natural_key: object_id}).first()
        except (ValueError, ValidationError):
            return None

    def change_url(self, row: Model) -> str:
        opts = row._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(quote(str(getattr(row, self.natural_key))),),
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        model_admin = self

        class NaturalKeyChangeList(ChangeList):
            def url_for_result(self, result: Any) -> str:
                return model_admin.change_url(result)

        return NaturalKeyChangeList


def _code(row: Any) -> str:
    section = getattr(row, "section", None)
    return section.code if section is not None else "—"


@admin.register(BasicAccount)
class BasicAccountAdmin(SealedDepositsAdmin):
    via = None  # registering one's basic account says nothing about any section
    list_display = ["organisation", "number", "name", "bank", "registered_at"]
    search_fields = ["number", "organisation__name", "organisation__credit_code"]


@admin.register(SubAccount)
class SubAccountAdmin(SealedDepositsAdmin):
    natural_key = "number"
    list_display = ["number", "section_code", "bidder", "created_at"]
    fields = ["number", "section_code", "bidder", "created_at"]
    readonly_fields = ["section_code"]
    search_fields = ["number", "bidder__name"]

    @admin.display(description=_("section"))
    def section_code(self, row: SubAccount) -> str:
        return _code(row)


@admin.register(BankLine)
class BankLineAdmin(SealedDepositsAdmin):
    natural_key = "reference"
    list_display = [
        "reference",
        "booked_at",
        "direction",
        "amount",
        "counterparty_account",
        "outcome",
        "section_code",
        "bidder",
    ]
    list_filter = ["outcome", "direction", "source"]
    search_fields = ["reference", "counterparty_account", "account"]
    exclude = ["section"]
    readonly_fields = ["section_code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The pages' own rule, payouts of sealed refunds included (deposits.access).
        return access.lines_for(request.user).select_related("section", "bidder")

    @admin.display(description=_("section"))
    def section_code(self, row: BankLine) -> str:
        return _code(row)


@admin.register(BookAccount)
class BookAccountAdmin(SealedDepositsAdmin):
    natural_key = "key"
    list_display = ["key", "kind", "section_code", "organisation", "line_reference"]
    list_filter = ["kind"]
    search_fields = ["key"]
    fields = ["key", "kind", "section_code", "organisation", "line_reference"]
    readonly_fields = ["section_code", "line_reference"]

    @admin.display(description=_("section"))
    def section_code(self, row: BookAccount) -> str:
        return _code(row)

    @admin.display(description=_("bank line"))
    def line_reference(self, row: BookAccount) -> str:
        return row.line.reference if row.line else "—"


@admin.register(BookTransaction)
class BookTransactionAdmin(SealedDepositsAdmin):
    via = None  # filtered through its entries' accounts (get_queryset)
    natural_key = "key"
    list_display = ["key", "kind", "value_date", "posted_at", "memo"]
    list_filter = ["kind"]
    search_fields = ["key"]
    fields = ["key", "kind", "memo", "value_date", "posted_at", "entry_table"]
    readonly_fields = ["entry_table"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        hidden = BookAccount.objects.exclude(access.visible(request.user))
        if not access.oversees_money(request.user):
            return BookTransaction.objects.none()
        return super().get_queryset(request).exclude(entries__account__in=hidden)

    @admin.display(description=_("book entries"))
    def entry_table(self, row: BookTransaction) -> str:
        entries = row.entries.select_related("account").order_by("pk")
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("account"),
            _("debit"),
            _("credit"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        e.account.key,
                        e.amount if e.amount > 0 else "",
                        -e.amount if e.amount < 0 else "",
                    )
                    for e in entries
                ),
            ),
        )


@admin.register(Refund)
class RefundAdmin(SealedDepositsAdmin):
    list_display = [
        "decided_at",
        "reason",
        "section_code",
        "payee",
        "principal",
        "interest",
        "due_by",
        "status",
        "attempts",
    ]
    list_filter = ["status", "reason"]
    exclude = ["account", "section"]
    readonly_fields = ["account_key", "section_code"]

    @admin.display(description=_("book account"))
    def account_key(self, row: Refund) -> str:
        return row.account.key

    @admin.display(description=_("section"))
    def section_code(self, row: Refund) -> str:
        return _code(row)


@admin.register(Forfeiture)
class ForfeitureAdmin(SealedDepositsAdmin):
    list_display = ["decided_at", "section_code", "bidder", "amount", "decided_by"]
    exclude = ["section"]
    readonly_fields = ["section_code"]

    @admin.display(description=_("section"))
    def section_code(self, row: Forfeiture) -> str:
        return _code(row)


@admin.register(Alert)
class AlertAdmin(SealedDepositsAdmin):
    natural_key = "key"
    list_display = ["raised_at", "kind", "section_code", "resolved_at"]
    list_filter = ["kind"]
    exclude = ["section"]
    readonly_fields = ["section_code"]

    @admin.display(description=_("section"))
    def section_code(self, row: Alert) -> str:
        return _code(row)


@admin.register(Issuer)
class IssuerAdmin(SealedDepositsAdmin):
    via = None
    list_display = ["name", "kind", "credit_code", "is_active", "registered_at"]


@admin.register(Guarantee)
class GuaranteeAdmin(SealedDepositsAdmin):
    natural_key = "number"
    list_display = ["number", "issuer", "section_code", "bidder", "amount", "status"]
    list_filter = ["status"]
    exclude = ["section", "signature", "payload"]
    readonly_fields = ["section_code"]

    @admin.display(description=_("section"))
    def section_code(self, row: Guarantee) -> str:
        return _code(row)


@admin.register(GuaranteeClaim)
class GuaranteeClaimAdmin(SealedDepositsAdmin):
    via = "guarantee__section"
    list_display = ["guarantee_number", "sent_at", "issuer_reference", "attempts"]
    exclude = ["guarantee", "forfeiture"]
    readonly_fields = ["guarantee_number"]

    @admin.display(description=_("guarantee"))
    def guarantee_number(self, row: GuaranteeClaim) -> str:
        return row.guarantee.number


class ReferenceDataAdmin(admin.ModelAdmin):
    """Staff maintain these; admin never saves the model itself (reference_data does)."""

    actions = None  # one row at a time, each through the service

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """No relations to save."""


@admin.register(InterestRate)
class InterestRateAdmin(ReferenceDataAdmin):
    list_display = ["effective_from", "annual_rate", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A rate is known by its date: to move it, delete it and enter the new date.
        return ["effective_from"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = reference_data.rate_set(
            effective_from=obj.effective_from,
            annual_rate=obj.annual_rate,
            note=obj.note,
            actor=cast(Person, request.user),
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        reference_data.rate_delete(rate=obj, actor=cast(Person, request.user))


@admin.register(CalendarDay)
class CalendarDayAdmin(ReferenceDataAdmin):
    list_display = ["date", "is_workday", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = reference_data.calendar_day_set(
            date=obj.date,
            is_workday=obj.is_workday,
            note=obj.note,
            actor=cast(Person, request.user),
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        reference_data.calendar_day_delete(day=obj, actor=cast(Person, request.user))
