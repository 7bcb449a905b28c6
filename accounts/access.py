"""Who may see and manage which organisation: the one access helper for the type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Organisation, OrganisationKey, Role


def _is_staff(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", "") == Role.STAFF)


def can_view_organisation(user: Any, organisation: Organisation) -> bool:
    if not user.is_authenticated:
        return False
    return _is_staff(user) or user.organisation_id == organisation.pk or user.role == Role.REGULATOR


def can_manage_organisation(user: Any, organisation: Organisation) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user.organisation_id == organisation.pk and user.is_organisation_admin)


def organisation_for(user: Any, pk: Any, *, manage: bool = False) -> Organisation:
    """The organisation ``pk`` if ``user`` may see it (404 otherwise: its existence is not
    revealed), and may manage it when ``manage`` (403)."""
    try:
        organisation = Organisation.objects.get(pk=pk)
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not can_view_organisation(user, organisation):
        raise Http404
    if manage and not can_manage_organisation(user, organisation):
        raise PermissionDenied(
            "只有本机构管理员可以操作 / Only the organisation's managers may do this"
        )
    return organisation


def key_for(user: Any, pk: Any, *, manage: bool = False) -> OrganisationKey:
    try:
        key = OrganisationKey.objects.select_related("organisation").get(pk=pk)
    except (OrganisationKey.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    organisation_for(user, key.organisation_id, manage=manage)
    return key
