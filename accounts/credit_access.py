"""Who sees which credit record: the one access helper for the type (docs/credit.md, "Who").

- The supervising department's people (regulators) see every record, in force or not, and
  enter them; a record is revoked or corrected by the department that entered it.
- The trading centre's staff read the records in force (they run the draw and host the
  hall), never enter or revoke.
- An organisation's people see its own records; a person sees the records about them.
- Everyone, signed in or not, sees the public dishonest list (accounts.credit.dishonest_list):
  organisations' published records in force, nothing about persons.

A platform superuser is none of these: records are the departments' decisions and persons'
records are personal data, as a committee's names are kept from superusers (experts.access).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts import credit
from accounts.models import CreditRecord, Role


def _role(user: Any) -> str:
    return str(getattr(user, "role", "")) if user.is_authenticated else ""


def enters_records(user: Any) -> bool:
    return bool(_role(user) == Role.REGULATOR and user.is_active)


def reads_all(user: Any) -> bool:
    return _role(user) == Role.REGULATOR


def reads_in_force(user: Any) -> bool:
    """Centre staff and regulators: the records in force (the hall's badge, the list)."""
    return _role(user) in (Role.STAFF, Role.REGULATOR)


def records_for(user: Any) -> QuerySet[CreditRecord]:
    """The records list: every record for a regulator, those in force for centre staff."""
    records = CreditRecord.objects.select_related("organisation", "person", "entered_by")
    if reads_all(user):
        return records
    if reads_in_force(user):
        return records.filter(pk__in=credit.in_force().values("pk"))
    return records.none()


def own_records(user: Any) -> QuerySet[CreditRecord]:
    """The records about the person's organisation and about the person, any state."""
    if not user.is_authenticated:
        return CreditRecord.objects.none()
    mine = Q(person_id=user.pk)
    if getattr(user, "organisation_id", None) is not None:
        mine |= Q(organisation_id=user.organisation_id)
    return CreditRecord.objects.filter(mine).select_related("organisation", "person")


def sees_record(user: Any, record: CreditRecord) -> bool:
    if not user.is_authenticated:
        return False
    if reads_all(user):
        return True
    if reads_in_force(user) and credit.state(record) == credit.CreditState.IN_FORCE:
        return True
    own_organisation = getattr(user, "organisation_id", None)
    return record.person_id == user.pk or (
        own_organisation is not None and record.organisation_id == own_organisation
    )


def manages_record(user: Any, record: CreditRecord) -> bool:
    """A regulator of the department that entered it revokes or corrects it."""
    return enters_records(user) and record.entered_by.organisation_id == user.organisation_id


def record_for(user: Any, pk: Any, *, manage: bool = False) -> CreditRecord:
    """The record ``pk`` if ``user`` may see it (404 otherwise, as for none), and may
    revoke or correct it when ``manage`` (403)."""
    try:
        record = CreditRecord.objects.select_related(
            "organisation", "person", "entered_by", "revoked_by", "corrects"
        ).get(pk=pk)
    except (CreditRecord.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not sees_record(user, record):
        raise Http404
    if manage and not manages_record(user, record):
        raise PermissionDenied(
            "只有录入该记录的行政监督部门可以撤销或更正 / Only the supervising department that "
            "entered the record revokes or corrects it"
        )
    return record
