"""Who may see and do what with complaints: the one access helper for the type.

The parties to a complaint see it and its steps: the complainant's organisation, the
project's tenderee and agency (the respondent), the project's supervising department (it
handles the complaint) and the hosting centre's staff (read only). Nobody else finds it —
not even a platform superuser, who is no party (404, as for one that does not exist).

Before the section's bid deadline, who complained is the department's and the
complainant's knowledge only [E21]: a complaint names a company interested in the section,
and nobody may learn who means to bid before the deadline. The tenderee, the agency and
the centre read "a potential bidder" instead, and the complaint's ledger entries are
embargoed with the section's bid events until the deadline (steps.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from ggzy import clock
from supervision.complaints.models import Complaint
from trading import access as trading_access
from trading.models import Section

_REGULATOR_ONLY = (
    "只有本项目的行政监督部门可以处理投诉 [R61] / Only the project's supervising department "
    "handles complaints [R61]"
)
_COMPLAINANT_ONLY = "只有投诉人可以撤回投诉 / Only the complainant may withdraw its complaint"
_PARTIES_ONLY = (
    "只有投诉人和被投诉的招标人/代理机构可以补充陈述 / Only the complainant and the "
    "tenderee or agency complained about may add a statement"
)


def _role(user: Any) -> str:
    return str(getattr(user, "role", "")) if user.is_authenticated else ""


def _organisation_id(user: Any) -> int | None:
    return getattr(user, "organisation_id", None) if user.is_authenticated else None


def is_complainant(user: Any, complaint: Complaint) -> bool:
    return bool(_role(user) == Role.BIDDER and _organisation_id(user) == complaint.complainant_id)


def is_respondent(user: Any, complaint: Complaint) -> bool:
    """The tenderee's or the agency's people (trading.access.is_party)."""
    return bool(
        _role(user) == Role.TENDEREE and trading_access.is_party(user, complaint.section.project)
    )


def is_regulator(user: Any, section: Section) -> bool:
    return bool(
        _role(user) == Role.REGULATOR and _organisation_id(user) == section.project.regulator_id
    )


def is_centre_staff(user: Any, section: Section) -> bool:
    return bool(_role(user) == Role.STAFF and _organisation_id(user) == section.project.centre_id)


def sees(user: Any, complaint: Complaint) -> bool:
    return (
        is_complainant(user, complaint)
        or is_respondent(user, complaint)
        or is_regulator(user, complaint.section)
        or is_centre_staff(user, complaint.section)
    )


def handles(user: Any, complaint: Complaint) -> bool:
    return bool(user.is_active and is_regulator(user, complaint.section))


def shows_complainant(user: Any, complaint: Complaint) -> bool:
    """Whether ``user`` may learn who complained: the department and the complainant
    always; the others once the section's (current) bid deadline has passed [E21]."""
    return (
        is_complainant(user, complaint)
        or is_regulator(user, complaint.section)
        or clock.now() >= complaint.section.bid_deadline
    )


def complaint_for(user: Any, pk: Any, *, manage: str = "") -> Complaint:
    """A complaint its parties may see (404 for anyone else). ``manage``: "regulator" (the
    department's actions), "complainant" (withdraw) or "party" (a statement: the
    complainant or the respondent); 403 for a party who may see but not do it."""
    try:
        complaint = Complaint.objects.select_related(
            "section__project", "complainant", "filed_by"
        ).get(pk=pk)
    except (Complaint.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not user.is_authenticated or not sees(user, complaint):
        raise Http404
    if manage == "regulator" and not handles(user, complaint):
        raise PermissionDenied(_REGULATOR_ONLY)
    if manage == "complainant" and not (user.is_active and is_complainant(user, complaint)):
        raise PermissionDenied(_COMPLAINANT_ONLY)
    if manage == "party" and not (
        user.is_active and (is_complainant(user, complaint) or is_respondent(user, complaint))
    ):
        raise PermissionDenied(_PARTIES_ONLY)
    return complaint


def may_file(user: Any) -> bool:
    """Bidders and other interested parties file complaints [R60]: a company's people."""
    return bool(
        user.is_authenticated
        and user.is_active
        and _role(user) == Role.BIDDER
        and _organisation_id(user) is not None
    )


def section_to_complain_about(user: Any, code: str) -> Section:
    """A section one may file a complaint about: a published one (drafts: 404, as
    trading.access decides); 403 for anyone who is not a company's person."""
    section = trading_access.section_for(user, {"code": code})
    if not may_file(user):
        raise PermissionDenied(
            "投诉由投标人或其他利害关系人以单位账号提出 [R60] / Complaints are filed by bidders "
            "and other interested parties, signed in with their company's account [R60]"
        )
    return section


def complaints_for(user: Any) -> QuerySet[Complaint]:
    """Every complaint ``user`` may see: their company's, their projects' (tenderee,
    agency), their department's, their centre's."""
    complaints = Complaint.objects.select_related("section__project", "complainant")
    organisation_id = _organisation_id(user)
    if organisation_id is None:
        return complaints.none()
    role = _role(user)
    if role == Role.BIDDER:
        return complaints.filter(complainant_id=organisation_id)
    if role == Role.TENDEREE:
        return complaints.filter(
            Q(section__project__tenderee_id=organisation_id)
            | Q(section__project__agency_id=organisation_id)
        )
    if role == Role.REGULATOR:
        return complaints.filter(section__project__regulator_id=organisation_id)
    if role == Role.STAFF:
        return complaints.filter(section__project__centre_id=organisation_id)
    return complaints.none()
