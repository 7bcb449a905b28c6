"""Who may see and handle alerts: the one access helper for the alerts types.

An alert names bidders and compares their bids, so it is the supervising department's and
the hosting centre's business only: the project's regulator handles its sections' alerts,
the hosting centre's staff may read them, anybody else gets 404, as for an alert that does
not exist. A cross-section alert (habitual co-bidders) is seen by the regulators and centres
of any section it involves. An alert about a section is never shown before its deadline (the
runner never raises one then; this is the second barrier) [E21, E27]. A platform superuser
is not told (no role in the case).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from ggzy import clock
from supervision.alerts.models import Alert

_HANDLE_ONLY = (
    "只有负责该项目的行政监督部门可以处理预警 / Only the project's supervising department "
    "handles its alerts"
)


def _role(user: Any) -> str:
    return str(getattr(user, "role", "")) if user.is_authenticated else ""


def sees_alerts(user: Any) -> bool:
    """Regulators and centre staff (each alert still filtered by ``alerts_for``)."""
    return bool(
        user.is_authenticated
        and getattr(user, "organisation_id", None) is not None
        and _role(user) in (Role.REGULATOR, Role.STAFF)
    )


def alerts_for(user: Any) -> QuerySet[Alert]:
    """The alerts this person may read: those involving a section of their department
    (regulator) or hosted by their centre (staff), once every section's deadline passed."""
    if not sees_alerts(user):
        return Alert.objects.none()
    now = clock.now()
    via = (
        "sections__project__regulator_id"
        if _role(user) == Role.REGULATOR
        else ("sections__project__centre_id")
    )
    theirs = Alert.objects.filter(**{via: user.organisation_id}).values("pk")
    still_sealed = Alert.objects.filter(sections__bid_deadline__gt=now).values("pk")
    return (
        Alert.objects.filter(pk__in=theirs)
        .exclude(pk__in=still_sealed)
        .exclude(Q(section__bid_deadline__gt=now))
        .select_related("section__project", "handler")
    )


def handles(user: Any, alert: Alert) -> bool:
    """The regulator of the alert's section, or of any section a cross-section alert
    involves (each department answers for its own part of the pattern)."""
    if not (user.is_authenticated and user.is_active and _role(user) == Role.REGULATOR):
        return False
    return alert.sections.filter(project__regulator_id=user.organisation_id).exists()


def alert_for(user: Any, pk: Any, *, manage: bool = False) -> Alert:
    """An alert this person may see (404 otherwise); with ``manage``, one they handle (403
    for the centre's staff, who read only)."""
    try:
        alert = alerts_for(user).get(pk=pk)
    except (Alert.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if manage and not handles(user, alert):
        raise PermissionDenied(_HANDLE_ONLY)
    return alert
