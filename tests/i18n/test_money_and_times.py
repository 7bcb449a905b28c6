"""Money and times as a person reads them (issue 13): yuan with separators, the capital
figures (大写) of the People's Bank of China's rules, and Beijing time with the zone named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from ggzy import beijing_time
from ggzy.templatetags.money import yuan, yuan_in_words
from ggzy.templatetags.times import beijing
from realtime.record_pdf import render_pdf as record_pdf
from tests.realtime.test_record import build_record, pdf_pages

NOON_UTC = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)  # 16:00 in Beijing


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1004000.50", "壹佰万肆仟元伍角"),  # zeros at the ten-thousands and units: no 零
        ("800000", "捌拾万元整"),  # whole yuan end in 整
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("30001.06", "叁万零壹元零陆分"),  # a run of zeros is one 零; 零 before a lone fen
        ("1010.00", "壹仟零壹拾元整"),
        ("48000000.00", "肆仟捌佰万元整"),
        ("100000000", "壹亿元整"),
        ("0.05", "伍分"),
        (Decimal("120000.10"), "壹拾贰万元壹角"),
    ],
)
def test_an_amount_in_capital_figures_follows_the_banks_rules(amount: object, words: str) -> None:
    assert yuan_in_words(amount) == words


def test_an_amount_reads_as_yuan_with_separators_and_two_decimals() -> None:
    assert [yuan("1234567.891"), yuan(Decimal("800000")), yuan(12)] == [
        "1,234,567.89",
        "800,000.00",
        "12.00",
    ]


@pytest.mark.parametrize("nothing", [None, "", "not a number", "NaN"])
def test_no_amount_is_shown_as_nothing_rather_than_as_zero(nothing: object) -> None:
    assert (yuan(nothing), yuan_in_words(nothing)) == ("", "")


def test_an_amount_finer_than_the_fen_gets_no_capital_figures_rather_than_rounded_ones() -> None:
    assert (yuan_in_words("1234.567"), yuan_in_words("0"), yuan_in_words("-5")) == (
        "",
        "零元整",
        "负伍元整",
    )


def test_every_template_has_the_money_filters_without_loading_them() -> None:
    page = Template("{{ amount|yuan }} {{ amount|yuan_in_words }}")
    assert page.render(Context({"amount": "1004000.50"})) == "1,004,000.50 壹佰万肆仟元伍角"


@pytest.mark.parametrize(
    ("language", "shown"),
    [("zh-hans", "2026-12-01 16:00 北京时间"), ("en", "2026-12-01 16:00 Beijing time")],
)
def test_a_time_on_a_page_is_in_beijing_time_with_the_zone_in_the_pages_language(
    language: str, shown: str
) -> None:
    with translation.override(language):
        assert beijing(NOON_UTC, "minutes") == shown


def test_a_refusal_names_the_time_in_beijing_time_in_each_of_its_languages() -> None:
    assert beijing_time.both(NOON_UTC) == (
        "2026-12-01 16:00 北京时间",
        "2026-12-01 16:00 Beijing time (UTC+8)",
    )


def test_the_opening_record_states_each_price_and_the_ceiling_also_in_capital_figures(
    tmp_path: Path,
) -> None:
    text = "".join(pdf_pages(record_pdf(build_record()), tmp_path))
    for figures in ("47,850,000.00", "肆仟柒佰捌拾伍万元整", "肆仟玖佰捌拾万元整"):
        assert figures in text, figures
