"""The workbench's registry (accounts/workbench.py), its page and its panels' route: late
first, then due today, upcoming, open; each panel a partial htmx refreshes on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import reverse

from accounts import workbench
from accounts.models import Person
from ggzy_core.times import BEIJING
from tests.conftest import client_for

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING)  # a Tuesday morning in Beijing
ROLE = "workbench-test"


@pytest.fixture
def things() -> Iterator[list[workbench.Item]]:
    """A provider for a role of its own, handing out the items a test puts in the list."""
    items: list[workbench.Item] = []

    def panels(person: Any, now: dt.datetime) -> list[workbench.Panel]:
        return [workbench.Panel("things", "Things", list(items))]

    workbench.register(panels, roles=[ROLE])
    yield items
    workbench._PROVIDERS.pop(ROLE)


def item(
    title: str, due: dt.datetime | dt.date | None, *, can_be_late: bool = True
) -> workbench.Item:
    return workbench.Item(title, "/", workbench.state_of(due, NOW, can_be_late=can_be_late), due)


def test_late_items_come_first_then_due_today_upcoming_open_and_information_last(
    things: list[workbench.Item],
) -> None:
    things += [
        workbench.Item("where it stands", "/", workbench.INFO),
        item("open", None),
        item("next week", NOW + dt.timedelta(days=7)),
        item("this evening", NOW + dt.timedelta(hours=9)),
        item("yesterday", NOW - dt.timedelta(days=1)),
        item("this afternoon", NOW + dt.timedelta(hours=5)),
        item("last week", NOW - dt.timedelta(days=7)),
    ]
    [panel] = workbench.panels_for(SimpleNamespace(role=ROLE), NOW)
    assert [i.title for i in panel.items] == [
        "last week",
        "yesterday",
        "this afternoon",
        "this evening",
        "next week",
        "open",
        "where it stands",
    ]
    assert panel.late == 2 and panel.due_today == 2


def test_due_today_means_today_in_beijing_not_in_utc() -> None:
    # 23:30 in Beijing is still "today" there, though it is 15:30 UTC the same day; 00:30
    # the next morning in Beijing is tomorrow, though UTC still says today.
    tonight = dt.datetime(2026, 12, 1, 23, 30, tzinfo=BEIJING)
    after_midnight = dt.datetime(2026, 12, 2, 0, 30, tzinfo=BEIJING)
    assert workbench.state_of(tonight, NOW) == workbench.DUE_TODAY
    assert after_midnight.astimezone(dt.UTC).date() == NOW.astimezone(dt.UTC).date()
    assert workbench.state_of(after_midnight, NOW) == workbench.UPCOMING


def test_a_due_day_is_late_only_from_the_next_day() -> None:
    assert workbench.state_of(dt.date(2026, 12, 1), NOW) == workbench.DUE_TODAY
    assert workbench.state_of(dt.date(2026, 11, 30), NOW) == workbench.LATE
    assert workbench.state_of(dt.date(2026, 12, 2), NOW) == workbench.UPCOMING


def test_a_deadline_that_passes_by_itself_is_never_late() -> None:
    gone = NOW - dt.timedelta(minutes=1)
    assert workbench.state_of(gone, NOW, can_be_late=False) == workbench.DUE_TODAY
    assert workbench.state_of(gone, NOW) == workbench.LATE


def test_registering_a_provider_twice_asks_it_once(things: list[workbench.Item]) -> None:
    [registered] = workbench.providers_for(ROLE)
    workbench.register(registered, roles=[ROLE])
    assert workbench.providers_for(ROLE) == [registered]


def test_a_chart_lists_the_same_figures_in_its_table_rows() -> None:
    chart = workbench.Chart(
        caption="c",
        labels=["a", "b"],
        series=[workbench.Series("x", [1, 2]), workbench.Series("y", [3, 4])],
    )
    assert chart.rows == [("a", [1, 3]), ("b", [2, 4])]
    assert chart.data()["series"] == [
        {"label": "x", "values": [1, 2]},
        {"label": "y", "values": [3, 4]},
    ]


def test_week_starts_are_the_mondays_of_the_last_weeks_oldest_first() -> None:
    assert workbench.week_starts(NOW, 3) == [
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 30),
    ]


@pytest.mark.django_db
def test_the_page_marks_a_late_item_with_a_badge_in_words_not_colour_only(
    things: list[workbench.Item], owner: Person
) -> None:
    things.append(workbench.Item("Pay it", "/pay/", workbench.LATE, NOW))
    Person.objects.filter(pk=owner.pk).update(role=ROLE)
    client = client_for(owner)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert '<span class="badge wb-late">已逾期</span>' in page
    english = client.get(reverse("accounts:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<span class="badge wb-late">Overdue</span>' in english.content.decode()
    assert '<span class="badge wb-late">1 late</span>' in english.content.decode()


@pytest.mark.django_db
def test_each_panel_refreshes_itself_every_minute_and_on_its_button(
    things: list[workbench.Item], owner: Person
) -> None:
    Person.objects.filter(pk=owner.pk).update(role=ROLE)
    page = client_for(owner).get(reverse("accounts:dashboard")).content.decode()
    url = reverse("accounts:workbench_panels") + "?panel=things"
    assert f'hx-get="{url}" hx-trigger="every 60s"' in page
    assert f'hx-get="{url}" hx-target="#panel-things"' in page
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false,'
        '"allowEval":false,"allowScriptTags":false}\'>' in page
    )


@pytest.mark.django_db
def test_the_panels_route_answers_one_panel_by_its_key_and_404_for_a_key_it_lacks(
    things: list[workbench.Item], owner: Person
) -> None:
    Person.objects.filter(pk=owner.pk).update(role=ROLE)
    client = client_for(owner)
    url = reverse("accounts:workbench_panels")
    one = client.get(url, {"panel": "things"})
    assert one.status_code == 200
    assert one.content.decode().startswith('<section class="wb-panel" id="panel-things"')
    missing = client.get(url, {"panel": "refunds-due"})
    assert missing.status_code == 404
    assert "请刷新工作台" in missing.content.decode()
    assert 'id="panel-things"' in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_panel_refresh_after_the_session_ended_takes_the_whole_page_to_the_login(
    client: Any,
) -> None:
    url = reverse("accounts:workbench_panels") + "?panel=things"
    refresh = client.get(url, headers={"HX-Request": "true"})
    assert refresh.status_code == 401
    dashboard = reverse("accounts:dashboard").replace("/", "%2F")
    assert refresh["HX-Redirect"] == f"{reverse('accounts:login')}?next={dashboard}"
    assert "请重新登录" in refresh.content.decode()
    assert "sign in again" in refresh.content.decode()
    # Outside htmx the route still sends a browser to the login page as every other one does.
    assert client.get(url).status_code == 302
