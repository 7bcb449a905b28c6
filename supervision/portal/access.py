"""Who may use the regulator's portal and which sections it shows: the one access helper of
the portal (the alerts and complaints parts have their own for their types).

The portal is the supervising department's ("e路阳光"): people with the regulator role in a
regulator organisation. A section is theirs when its project names their organisation as
the supervising department (trading.access decides who oversees what). A platform superuser
is not a regulator here: the portal shows who did what from where, which the superuser's
admin has no need of (decision 95).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role
from trading.models import Section

REGULATORS_ONLY = (
    "这里是行政监督部门的监督平台，只有监督人员可以进入；如需监督权限，请联系本部门管理员 / "
    "This is the supervising department's portal, open to regulators only; ask your "
    "department's administrator for the regulator role"
)


def is_regulator(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "role", "") == Role.REGULATOR
        and getattr(user, "organisation_id", None) is not None
    )


def require_regulator(user: Any) -> None:
    """403 with the reason for anyone signed in who is not a regulator (the view's
    login_required sends the anonymous to the login page first)."""
    if not is_regulator(user):
        raise PermissionDenied(REGULATORS_ONLY)


def sections_supervised(user: Any) -> QuerySet[Section]:
    """The sections whose projects this regulator's department supervises, drafts included
    (a supervising department sees a tender before it is published)."""
    if not is_regulator(user):
        return Section.objects.none()
    return Section.objects.filter(project__regulator_id=user.organisation_id).select_related(
        "project"
    )


def section_supervised(user: Any, code: str) -> Section:
    """One of this regulator's sections, or 404 as for a section that does not exist."""
    require_regulator(user)
    try:
        return sections_supervised(user).get(code=code)
    except (Section.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
