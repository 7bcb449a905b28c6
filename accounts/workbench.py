"""The workbench (我的工作台): what each role works from — what is due today, what is late.

accounts is a low floor: it may not read sections, bids, deposits, committees or complaints.
So the workbench is a registry. Each app registers *providers* from its AppConfig.ready()
(``workbench.register(provider, roles=[Role.BIDDER])``); a provider is a function
``(person, now) -> list[Panel]`` that reads through its own app's access helper and
selectors, never around them. The dashboard asks every provider of the person's role and
shows the panels, late items first (docs/workbench.md).

Before the bid deadline nobody but the bidder's own organisation may learn anything about a
bid [E21, E27]: a provider shows a bidder its own bids, uploads and deposits only, and
shows anyone else nothing that depends on them — no count, size or time — until the
deadline (tests/security/test_nothing_before_the_deadline.py asks every dashboard).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ggzy.templatetags.times import beijing
from ggzy_core.times import BEIJING

# An item's state, in the order the workbench shows them: late first.
LATE = "late"
DUE_TODAY = "due_today"
UPCOMING = "upcoming"
OPEN = "open"  # to do, with no clock of its own (an open alert, a draft to publish)
INFO = "info"  # nothing to do: where something stands (a hall closed, a refund received)
STATES = (LATE, DUE_TODAY, UPCOMING, OPEN, INFO)
STATE_LABELS: dict[str, str | Promise] = {
    LATE: _("Overdue"),
    DUE_TODAY: _("Due today"),
    UPCOMING: _("Upcoming"),
    OPEN: _("Open"),
    INFO: "",
}

Text = str | Promise
NOTHING_TO_DO = _("Nothing to do here.")


@dataclass(frozen=True)
class Item:
    """One thing to do or to know: a title, where to do it, by when, and how it stands."""

    title: Text
    url: str
    state: str = OPEN
    due: dt.datetime | dt.date | None = None
    detail: Text = ""

    @property
    def state_label(self) -> Text:
        return STATE_LABELS[self.state]

    @property
    def due_is_day(self) -> bool:
        """A due *day* (a refund's, a complaint's clock) rather than a moment."""
        return isinstance(self.due, dt.date) and not isinstance(self.due, dt.datetime)


@dataclass(frozen=True)
class Series:
    label: Text
    values: list[int | float]


@dataclass(frozen=True)
class Chart:
    """Figures a panel draws (static/js/charts.js) and also lists in a table: the table is
    what screen readers and pages without script read."""

    caption: Text
    labels: list[Text]
    series: list[Series]
    kind: str = "bar"  # "bar" or "line"
    stacked: bool = False

    def data(self) -> dict[str, Any]:
        """For ``json_script``: plain strings and numbers."""
        return {
            "kind": self.kind,
            "stacked": self.stacked,
            "labels": [str(label) for label in self.labels],
            "series": [{"label": str(s.label), "values": s.values} for s in self.series],
        }

    @property
    def rows(self) -> list[tuple[Text, list[int | float]]]:
        """The table's rows: one per label, a figure per series."""
        return [
            (label, [series.values[index] for series in self.series])
            for index, label in enumerate(self.labels)
        ]


@dataclass
class Panel:
    """A panel of the workbench. ``key`` names it in its refresh URL (a slug, unique in a
    role's workbench); panels show in ``order``, then by title."""

    key: str
    title: Text
    items: list[Item] = field(default_factory=list)
    order: int = 50
    empty: Text = NOTHING_TO_DO
    link: tuple[str, Text] | None = None
    chart: Chart | None = None

    @property
    def counts(self) -> dict[str, int]:
        return {state: sum(1 for item in self.items if item.state == state) for state in STATES}

    @property
    def late(self) -> int:
        return self.counts[LATE]

    @property
    def due_today(self) -> int:
        return self.counts[DUE_TODAY]


Provider = Callable[[Any, dt.datetime], list[Panel]]

_PROVIDERS: dict[str, list[Provider]] = {}


def register(provider: Provider, *, roles: Iterable[str]) -> Provider:
    """Ask ``provider`` for the workbench of each of ``roles`` (once, however often an app's
    ready() runs)."""
    for role in roles:
        providers = _PROVIDERS.setdefault(str(role), [])
        if provider not in providers:
            providers.append(provider)
    return provider


def providers_for(role: str) -> list[Provider]:
    return list(_PROVIDERS.get(role, []))


def _due_key(item: Item) -> tuple[int, dt.datetime]:
    due = item.due
    if due is None:
        moment = dt.datetime.max.replace(tzinfo=dt.UTC)
    elif isinstance(due, dt.datetime):
        moment = due
    else:  # a due day ends at midnight, Beijing time
        moment = dt.datetime.combine(due, dt.time.max, tzinfo=BEIJING)
    return STATES.index(item.state), moment


def ordered(items: Iterable[Item]) -> list[Item]:
    """Late first, then due today, upcoming, open, information; soonest due first within
    each."""
    return sorted(items, key=_due_key)


def panels_for(person: Any, now: dt.datetime) -> list[Panel]:
    """The workbench of ``person``: every panel its role's providers give, items ordered."""
    panels: list[Panel] = []
    for provider in providers_for(str(getattr(person, "role", "") or "")):
        panels.extend(provider(person, now))
    for panel in panels:
        panel.items = ordered(panel.items)
    return sorted(panels, key=lambda panel: (panel.order, str(panel.title)))


def today(now: dt.datetime) -> dt.date:
    """The day in Beijing: "due today" means today where the platform's people are."""
    return now.astimezone(BEIJING).date()


def state_of(
    due: dt.datetime | dt.date | None, now: dt.datetime, *, can_be_late: bool = True
) -> str:
    """How something due at ``due`` stands at ``now``: late once past (a due day is late the
    day after), due today on its Beijing day, upcoming after. ``can_be_late=False`` for a
    moment that passes by itself (a bid deadline is not *late*: it is gone)."""
    if due is None:
        return OPEN
    if isinstance(due, dt.datetime):
        if due < now:
            return LATE if can_be_late else DUE_TODAY
        return DUE_TODAY if today(due) == today(now) else UPCOMING
    if due < today(now):
        return LATE if can_be_late else DUE_TODAY
    return DUE_TODAY if due == today(now) else UPCOMING


def week_starts(now: dt.datetime, weeks: int) -> list[dt.date]:
    """The Mondays of the last ``weeks`` weeks (Beijing days), oldest first — for charts."""
    monday = today(now) - dt.timedelta(days=today(now).weekday())
    return [monday - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def week_of(moment: dt.datetime | dt.date) -> dt.date:
    day = moment.astimezone(BEIJING).date() if isinstance(moment, dt.datetime) else moment
    return day - dt.timedelta(days=day.weekday())


def moment(value: dt.datetime | None) -> str:
    """A moment inside an item's text, as every page writes it (Beijing time, to the
    minute): the one place the workbench formats a time for a provider."""
    return beijing(value, "minutes")
