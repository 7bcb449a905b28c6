"""The ledger in Django admin: read-only, and blind to the embargo [E21, E27].

Before a deadline nobody may learn that a bid exists or how many there are, so these pages
show nothing that depends on the number of embargoed entries: no sequence numbers (their
gaps count hidden entries), no hashes (``previous_hash`` names a hidden entry; an entry
hash with the fields beside it lets one test whether two shown entries are neighbours), no
totals or result counts, and no lookup by sequence or hash. Objects are addressed by an
opaque id (an SM4 permutation of the sequence, keyed from ``SECRET_KEY``); an embargoed
entry's id answers exactly like one that does not exist. The operators' tools
(``export_ledger``, ``verify_ledger``) read everything: they need the database anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from supervision import ledger
from supervision.models import LedgerCheckpoint, LedgerEntry
from supervision.opaque_ids import opaque_id, sequence_of

__all__ = ["change_url", "opaque_id", "sequence_of"]


def change_url(obj: LedgerEntry | LedgerCheckpoint) -> str:
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=(quote(opaque_id(type(obj), obj.sequence)),),
    )


class OpaqueChangeList(ChangeList):
    def url_for_result(self, result: Any) -> str:
        return change_url(result)


class SealedLedgerAdmin(admin.ModelAdmin):
    """Read-only; opaque ids; no counts, no facets, no actions (their bar counts rows)."""

    actions = None
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-sequence"]  # newest first; the number itself is never shown
    # Lookups a query string may use (admin otherwise allows any local field, and
    # ?sequence=45 would tell which numbers the shown entries carry, hence the gaps).
    allowed_lookups: frozenset[str] = frozenset()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return OpaqueChangeList

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup.split("__", 1)[0] in self.allowed_lookups

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        # Only opaque ids: ?_to_field=sequence must not turn the URL back into a number.
        sequence = sequence_of(self.model, object_id)
        if sequence is None:
            return None
        return self.get_queryset(request).filter(sequence=sequence).first()


@admin.register(LedgerEntry)
class LedgerEntryAdmin(SealedLedgerAdmin):
    list_display = ["recorded_at", "action", "actor_name", "actor_organisation", "network_address"]
    list_filter = ["action"]
    search_fields = ["action", "actor_name", "actor_organisation", "target_id"]
    fields = [
        "recorded_at",
        "action",
        "actor_person_id",
        "actor_name",
        "actor_organisation",
        "actor_role",
        "network_address",
        "target_type",
        "target_id",
        "data",
        "embargo",
    ]
    allowed_lookups = frozenset(
        {"action", "actor_name", "actor_organisation", "actor_role", "target_type", "target_id"}
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        # Embargoed entries (who has bid, before the deadline) are not shown, not even here.
        return ledger.visible()


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(SealedLedgerAdmin):
    # A checkpoint's sequence and head hash count and name every entry, embargoed ones
    # included: only when and by which key the platform signed is shown.
    list_display = ["signed_at", "key_fingerprint"]
    fields = ["signed_at", "key_fingerprint"]
