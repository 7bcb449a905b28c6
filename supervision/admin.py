from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from supervision import ledger
from supervision.models import LedgerCheckpoint, LedgerEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "recorded_at", "action", "actor_name", "network_address"]
    list_filter = ["action"]
    search_fields = ["action", "actor_name", "actor_organisation", "target_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        # Embargoed entries (who has bid, before the deadline) are not shown, not even here.
        return ledger.visible()


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "signed_at", "key_fingerprint"]
