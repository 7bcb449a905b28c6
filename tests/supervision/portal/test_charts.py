"""Charts are drawn from what may be known: bids once the deadline has passed, prices once
read out; each is served as SVG with its figures as a table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supervision.alerts import selectors as alert_selectors
from supervision.portal import charts, parts
from supervision.portal.access import sections_supervised
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import person, signed_in

pytestmark = pytest.mark.django_db


def test_before_the_deadline_no_bid_is_drawn(world_at: MakeWorld) -> None:
    world = world_at("before")
    drawn = charts.arrivals(sections_supervised(person(world, "regulator")))
    assert drawn.rows == []


def test_after_the_deadline_each_bid_falls_in_its_span_before_the_deadline(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    drawn = charts.arrivals(sections_supervised(person(world, "regulator")))
    ((code, *counts),) = drawn.rows
    assert code == world.section.code
    assert sum(counts) == 3
    assert b"<svg" in drawn.svg


def test_prices_read_out_are_drawn_against_the_ceiling(world_at: MakeWorld) -> None:
    world = world_at("closed")
    drawn = charts.prices(sections_supervised(person(world, "regulator")))
    ((code, lowest, _median, highest, count),) = drawn.rows
    assert code == world.section.code and count == 3
    assert 0 < lowest <= highest


def test_the_alerts_chart_counts_this_months_alerts_last(world_at: MakeWorld) -> None:
    """Beijing months themselves are the alerts selector's (tests/supervision/alerts)."""
    world = world_at("closed")
    regulator = person(world, "regulator")
    drawn = parts.alerts_per_month(regulator)
    assert len(drawn.rows) == 12
    assert drawn.rows[-1][1] == alert_selectors.access.alerts_for(regulator).count() > 0
    assert b"<svg" in drawn.svg


def test_the_svg_is_served_to_the_regulator_with_inline_styles_allowed(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    client = signed_in(world, "regulator")
    response = client.get(reverse("supervision:chart", kwargs={"name": "prices"}))
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "'unsafe-inline'" in response["Content-Security-Policy"]
    page = client.get(reverse("supervision:charts"))
    assert page.status_code == 200
    assert reverse("supervision:chart", kwargs={"name": "arrivals"}) in page.content.decode()
    assert client.get(reverse("supervision:chart", kwargs={"name": "nothing"})).status_code == 404
