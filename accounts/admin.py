from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Organisation, OrganisationKey, Person


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]
    readonly_fields = ["credit_code", "legal_representative_id_digest", "created_at"]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "display_name", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "ggzy",
            {"fields": ("organisation", "role", "display_name", "phone", "is_organisation_admin")},
        ),
    )


@admin.register(OrganisationKey)
class OrganisationKeyAdmin(admin.ModelAdmin):
    """Keys are bound and retired through the pages (and so the ledger), not edited here."""

    list_display = ["organisation", "fingerprint", "status", "bound_at", "retired_at"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in OrganisationKey._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
