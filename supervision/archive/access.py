"""Who sees which archives: the one access helper for archives (views call only this).

Regulators see the archives of the sections their department supervises; the hosting
centre's staff see (and may seal) their centre's. Nobody else: a tenderee or a bidder keeps
its own documents, and the superuser's admin has no need of whole packages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role
from trading.models import Section

READERS_ONLY = (
    "电子档案只对行政监督部门和交易中心工作人员开放；如需权限，请联系本单位管理员 / "
    "Archives are open to the supervising department and the trading centre's staff only; ask "
    "your organisation's administrator for the regulator or centre staff role"
)
CENTRE_ONLY = (
    "只有交易中心工作人员可以立即封存电子档案；监督部门可以查看和下载 / Only the trading "
    "centre's staff may seal an archive now; regulators view and download archives"
)


def _role(user: Any) -> str:
    if not (user.is_authenticated and user.is_active and getattr(user, "organisation_id", None)):
        return ""
    return str(getattr(user, "role", "") or "")


def is_reader(user: Any) -> bool:
    return _role(user) in (Role.REGULATOR, Role.STAFF)


def is_centre_staff(user: Any) -> bool:
    return _role(user) == Role.STAFF


def require_reader(user: Any) -> None:
    if not is_reader(user):
        raise PermissionDenied(READERS_ONLY)


def sections_of(user: Any) -> QuerySet[Section]:
    """The sections whose archives this person may see (sealed or not yet)."""
    role = _role(user)
    sections = Section.objects.select_related("project")
    if role == Role.REGULATOR:
        return sections.filter(project__regulator_id=user.organisation_id)
    if role == Role.STAFF:
        return sections.filter(project__centre_id=user.organisation_id)
    return Section.objects.none()


def section_of(user: Any, code: str) -> Section:
    """One of this person's sections, or 404 exactly as for one that does not exist."""
    require_reader(user)
    try:
        return sections_of(user).get(code=code)
    except (Section.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def can_seal(user: Any, section: Section) -> bool:
    return is_centre_staff(user) and section.project.centre_id == user.organisation_id


def require_sealer(user: Any, section: Section) -> None:
    if not can_seal(user, section):
        raise PermissionDenied(CENTRE_ONLY)
