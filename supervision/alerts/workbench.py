"""What alerts puts on the workbench (accounts/workbench.py): the regulator's open alerts
(collusion signals [R40]), with charts of alerts per week and per signal; centre staff read
their centre's open alerts.

Through alerts.selectors (alerts.access.alerts_for): an alert shows only once the deadline
of every section it involves has passed — before it, its evidence would tell who bid [E21]."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import workbench
from accounts.models import Person, Role
from ggzy_core.times import BEIJING
from supervision.alerts import access, selectors
from supervision.alerts.models import AlertStatus, RuleCode

LISTED_MAX = 20
CHART_WEEKS = 8


def _charts(person: Person, now: dt.datetime) -> tuple[workbench.Chart, workbench.Chart]:
    weeks = workbench.week_starts(now, CHART_WEEKS)
    since = dt.datetime.combine(weeks[0], dt.time.min, tzinfo=BEIJING)
    raised = list(
        access.alerts_for(person).filter(raised_at__gte=since).values_list("raised_at", "rule")
    )
    per_week = Counter(workbench.week_of(moment) for moment, _rule in raised)
    per_rule = Counter(rule for _moment, rule in raised)
    rules = [rule for rule in RuleCode if per_rule[rule]]
    return (
        workbench.Chart(
            caption=_("Alerts raised per week"),
            labels=[f"{week:%m-%d}" for week in weeks],
            series=[workbench.Series(_("Alerts"), [per_week[week] for week in weeks])],
        ),
        workbench.Chart(
            caption=_("Alerts per signal, last 8 weeks"),
            labels=[rule.label for rule in rules],
            series=[workbench.Series(_("Alerts"), [per_rule[rule] for rule in rules])],
        ),
    )


def panels(person: Person, now: dt.datetime) -> list[workbench.Panel]:
    items = [
        workbench.Item(
            f"{RuleCode(alert.rule).label}" + (f" · {alert.section.code}" if alert.section else ""),
            reverse("alerts:detail", kwargs={"pk": alert.pk}),
            workbench.OPEN,
            None,
            _("Raised %(time)s · %(status)s")
            % {
                "time": workbench.moment(alert.raised_at),
                "status": AlertStatus(alert.status).label,
            },
        )
        for alert in selectors.open_for(person)[:LISTED_MAX]
    ]
    per_week, per_signal = _charts(person, now)
    return [
        workbench.Panel(
            "alerts",
            _("Open alerts"),
            items,
            order=20,
            empty=_("No open alert."),
            link=(reverse("alerts:list"), _("Alerts")),
            chart=per_week,
        ),
        workbench.Panel(
            "signals",
            _("Alerts per signal"),
            [],
            order=85,
            empty=_("No alert in the last 8 weeks."),
            chart=per_signal if per_signal.labels else None,
        ),
    ]


def register() -> None:
    workbench.register(panels, roles=[Role.REGULATOR, Role.STAFF])
