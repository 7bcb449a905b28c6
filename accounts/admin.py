"""Django admin for accounts, kept behind the services (issue 7).

Centre staff (group ``centre-staff``) may correct names and contact details; who a person is
and what they may do — organisation, role, kind, active, superuser, staff, groups,
permissions — is read-only for everyone but the superuser. Every change goes through a
service (locked, guarded, ledgered with before/after); admin never saves a model itself. A
refusal rolls the whole form back and is shown as a message. Nobody adds or deletes people
or organisations here: they are registered through ``organisation_register`` / ``person_add``
(the pages) and deactivated, never deleted (the ledger names them).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor, services
from accounts.models import Organisation, OrganisationKey, Person
from ggzy.errors import DomainError

PERSON_PRIVILEGES = ("is_superuser", "is_staff", "is_organisation_admin")
PERSON_GRANTS = ("groups", "user_permissions")
# Read-only for everyone but the superuser (issue 7, finding 6).
PERSON_SUPERUSER_FIELDS = (
    "username",
    "organisation",
    "role",
    "is_active",
    *PERSON_PRIVILEGES,
    *PERSON_GRANTS,
)
PERSON_NEVER_EDITED = ("last_login", "date_joined")
ORGANISATION_SUPERUSER_FIELDS = ("kind", "is_active")
RESET_BATCH_MAX = 100  # people per reset action

ORGANISATION_NEVER_EDITED = ("credit_code", "legal_representative_id_digest", "created_at")


def _actor(request: HttpRequest) -> Person:
    # Admin views run only for an authenticated staff person (admin_view checks it first).
    return cast(Person, request.user)


class ThroughServicesAdmin(admin.ModelAdmin):
    """Shared by the account admins: no adding, no deleting, a refused service call rolls
    back the form (admin wraps it in a transaction) and shows the reason."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many changes (groups, permissions) went through the service in save_model."""


@admin.register(Organisation)
class OrganisationAdmin(ThroughServicesAdmin):
    list_display = ["name", "credit_code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if request.user.is_superuser:
            return list(ORGANISATION_NEVER_EDITED)
        return [*ORGANISATION_NEVER_EDITED, *ORGANISATION_SUPERUSER_FIELDS]

    def save_model(self, request: HttpRequest, obj: Model, form: BaseForm, change: bool) -> None:
        obj = cast(Organisation, obj)  # this admin's model
        actor, data = _actor(request), form.cleaned_data
        changed = set(form.changed_data)
        details = {f: data[f] for f in services.EDITABLE_ORGANISATION_FIELDS if f in changed}
        if details:
            services.organisation_update(organisation=obj, actor=actor, changes=details)
        if "kind" in changed:
            services.organisation_set_kind(organisation=obj, actor=actor, kind=data["kind"])
        if "is_active" in changed:
            services.organisation_set_active(
                organisation=obj, actor=actor, active=data["is_active"]
            )


@admin.register(Person)
class PersonAdmin(ThroughServicesAdmin, UserAdmin):
    list_display = ["username", "display_name", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "ggzy",
            {"fields": ("organisation", "role", "display_name", "phone", "is_organisation_admin")},
        ),
    )

    actions = ["reset_second_factor"]

    @admin.action(description=gettext_lazy("Reset the second factor (a lost phone)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        actor = _actor(request)
        removed = sum(
            second_factor.reset(person=person, actor=actor)
            for person in queryset.filter(is_superuser=False)[:RESET_BATCH_MAX]
        )
        self.message_user(
            request,
            _("%(count)d authenticator(s) removed: the person sets up a new one at sign-in.")
            % {"count": removed},
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if request.user.is_superuser:
            return list(PERSON_NEVER_EDITED)
        return [*PERSON_NEVER_EDITED, *PERSON_SUPERUSER_FIELDS]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a superuser changes a superuser: anyone else could take over the account.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return bool(super().has_change_permission(request, obj))

    def save_model(self, request: HttpRequest, obj: Model, form: BaseForm, change: bool) -> None:
        obj = cast(Person, obj)  # this admin's model
        actor, data = _actor(request), form.cleaned_data
        changed = set(form.changed_data)
        if not actor.is_superuser:  # the form has no such fields; never trust that alone
            changed -= set(PERSON_SUPERUSER_FIELDS)
        editable = (*services.EDITABLE_PERSON_FIELDS, "username")
        details = {f: data[f] for f in editable if f in changed}
        if details:
            services.person_update(person=obj, actor=actor, changes=details)
        if changed & {"organisation", "role"}:
            services.person_assign(
                person=obj,
                actor=actor,
                organisation=data.get("organisation", obj.organisation),
                role=data.get("role", obj.role),
            )
        privileges = {f: data[f] for f in (*PERSON_PRIVILEGES, *PERSON_GRANTS) if f in changed}
        if privileges:
            services.person_set_privileges(person=obj, actor=actor, **privileges)
        if "is_active" in changed:
            if data["is_active"]:
                services.person_activate(person=obj, actor=actor)
            else:
                services.person_deactivate(person=obj, actor=actor)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Only the superuser sets passwords here, through ``person_set_password`` (which
        also deletes the person's API tokens); everyone changes their own on the site."""
        if not request.user.is_superuser:
            raise PermissionDenied
        person = self.get_object(request, unquote(id))
        if request.method == "POST" and person is not None:
            form = self.change_password_form(person, request.POST)
            if form.is_valid():
                usable = form.cleaned_data.get("set_usable_password", True)
                try:
                    updated = services.person_set_password(
                        person=person,
                        actor=_actor(request),
                        password=form.cleaned_data["password1"] if usable else None,
                    )
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
                self.log_change(request, updated, self.construct_change_message(request, form, []))
                if updated.pk == request.user.pk:
                    update_session_auth_hash(request, updated)
                self.message_user(request, _("Password changed successfully."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:accounts_person_change", args=(updated.pk,))
                )
        return super().user_change_password(request, id, form_url)


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


# django-otp's own device admin edits devices around the service (and its add form lists
# every person): a lost phone is reset through the person's screen instead.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
