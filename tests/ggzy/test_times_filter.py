"""Pages show Beijing time with the zone, whatever the server's or the stored zone."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template
from django.utils import translation


def render(source: str, **context: object) -> str:
    return Template(source).render(Context(context))


def test_a_utc_time_is_shown_in_beijing_time_with_the_zone() -> None:
    moment = dt.datetime(2026, 11, 30, 10, 0, 5, tzinfo=dt.UTC)
    with translation.override("zh-hans"):
        assert render("{{ t|beijing }}", t=moment) == "2026-11-30 18:00:05 北京时间"
        assert render('{{ t|beijing:"minutes" }}', t=moment) == "2026-11-30 18:00 北京时间"
    with translation.override("en"):
        assert render("{{ t|beijing }}", t=moment) == "2026-11-30 18:00:05 Beijing time"


def test_receipt_times_keep_their_microseconds() -> None:
    moment = dt.datetime(2026, 11, 30, 15, 59, 59, 999_123, tzinfo=dt.UTC)
    with translation.override("zh-hans"):
        assert render('{{ t|beijing:"micro" }}', t=moment) == "2026-11-30 23:59:59.999123 北京时间"


def test_no_time_shows_nothing() -> None:
    assert render('{{ t|beijing:"minutes"|default:"—" }}', t=None) == "—"
