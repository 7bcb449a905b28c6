"""Who may see and manage which project and section: the one access helper for the type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from ggzy import clock
from trading.models import Project, Section
from trading.transitions import PUBLIC


def _organisation_id(user: Any) -> int | None:
    return getattr(user, "organisation_id", None) if user.is_authenticated else None


def is_party(user: Any, project: Project) -> bool:
    """The tenderee's or the agency's people."""
    organisation_id = _organisation_id(user)
    return organisation_id is not None and organisation_id in (
        project.tenderee_id,
        project.agency_id,
    )


def is_overseer(user: Any, project: Project) -> bool:
    """Superusers, the hosting centre's staff and the supervising department's people."""
    if not user.is_authenticated:
        return False
    organisation_id = _organisation_id(user)
    return bool(
        user.is_superuser
        or (user.role == Role.STAFF and organisation_id == project.centre_id)
        or (user.role == Role.REGULATOR and organisation_id == project.regulator_id)
    )


def can_manage(user: Any, project: Project) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and is_party(user, project)
        and user.role == Role.TENDEREE
    )


def project_for(user: Any, pk: Any, *, manage: bool = False) -> Project:
    try:
        project = Project.objects.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not (is_party(user, project) or is_overseer(user, project)):
        raise Http404
    if manage and not can_manage(user, project):
        raise PermissionDenied(
            "只有招标人/代理机构可以操作 / Only the tenderee or agency may do this"
        )
    return project


def section_for(user: Any, lookup: dict[str, Any], *, manage: bool = False) -> Section:
    """A section by ``{"pk": …}`` or ``{"code": …}``. Drafts exist only for the parties and
    overseers (404 for anyone else); published sections are public."""
    try:
        section = Section.objects.select_related("project").get(**lookup)
    except (Section.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    project = section.project
    insider = is_party(user, project) or is_overseer(user, project)
    if section.status not in PUBLIC and not insider:
        raise Http404
    if manage and not can_manage(user, project):
        raise PermissionDenied(
            "只有招标人/代理机构可以操作 / Only the tenderee or agency may do this"
        )
    return section


def public_sections() -> QuerySet[Section]:
    return Section.objects.filter(status__in=PUBLIC).select_related("project")


def projects_managed_by(user: Any) -> QuerySet[Project]:
    organisation_id = _organisation_id(user)
    if organisation_id is None:
        return Project.objects.none()
    return Project.objects.filter(Q(tenderee_id=organisation_id) | Q(agency_id=organisation_id))


def sections_managed_by(user: Any) -> QuerySet[Section]:
    organisation_id = _organisation_id(user)
    if organisation_id is None:
        return Section.objects.none()
    return Section.objects.filter(
        Q(project__tenderee_id=organisation_id) | Q(project__agency_id=organisation_id)
    ).select_related("project")


def sections_overseen_by(user: Any) -> QuerySet[Section]:
    """The published sections whose halls this person oversees (is_overseer: superusers,
    the hosting centre's staff, the supervising department) or runs as tenderee/agency.
    Public facts only (code, name, opening time, status): nothing about bids [E21, E27]."""
    sections = public_sections().order_by("bid_deadline", "pk")
    if not user.is_authenticated:
        return sections.none()
    if user.is_superuser:
        return sections
    organisation_id = _organisation_id(user)
    if organisation_id is None:
        return sections.none()
    mine = Q(project__tenderee_id=organisation_id) | Q(project__agency_id=organisation_id)
    if user.role == Role.STAFF:
        mine |= Q(project__centre_id=organisation_id)
    if user.role == Role.REGULATOR:
        mine |= Q(project__regulator_id=organisation_id)
    return sections.filter(mine)


def can_see_downloads(user: Any, section: Section) -> bool:
    """Before the deadline nobody — tenderee and staff included — learns who or how many
    downloaded [E21, L22]; afterwards the parties and overseers may."""
    if clock.now() < section.bid_deadline:
        return False
    project = section.project
    return is_party(user, project) or is_overseer(user, project)
