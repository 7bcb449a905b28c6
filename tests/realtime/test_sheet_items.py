"""The opening sheet's items are defined once (ggzy_core.gm.envelope.sheet.ITEMS): every
place that lists them lists the same ones."""

from __future__ import annotations

import pytest
from django.utils import translation

from config.management.commands.demo_data import demo_sheet
from ggzy_bid.commands import unseal
from ggzy_core.gm.envelope import sheet
from realtime import record_content, views
from trading import models, services


def test_the_section_reads_out_known_items_by_default() -> None:
    assert list(sheet.DEFAULT_READ_ITEMS) == models.DEFAULT_READ_ITEMS
    assert set(models.DEFAULT_READ_ITEMS) <= set(sheet.KNOWN_ITEMS)


def test_a_tenderee_may_choose_exactly_the_known_items() -> None:
    assert frozenset(sheet.KNOWN_ITEMS) == services.READABLE_ITEMS


def test_the_hall_page_names_every_item_in_either_language() -> None:
    for language, price in (("zh-hans", "报价（元）"), ("en", "Price (yuan)")):
        with translation.override(language):
            items = views._labels()["items"]
        assert list(items) == list(sheet.KNOWN_ITEMS)
        assert items["price"] == price


def test_the_tool_names_every_item() -> None:
    assert list(unseal._SHEET_LABELS) == list(sheet.KNOWN_ITEMS)


def test_the_demo_has_a_value_for_every_item_and_it_seals() -> None:
    values = demo_sheet(0)
    assert list(values) == list(sheet.KNOWN_ITEMS)
    assert sheet.normalise_sheet(values)["warranty"] == "2年"


def test_the_record_keeps_every_item_of_a_sheet() -> None:
    reading = record_content._reading(sheet.normalise_sheet(demo_sheet(1)))
    kept = {
        "price": reading.price,
        "duration_days": reading.duration_days,
        "quality": reading.quality,
        "project_manager": reading.project_manager,
        **dict(reading.extra),
    }
    assert {name: str(kept[name]) for name in sheet.KNOWN_ITEMS} == {
        name: str(value) for name, value in sheet.normalise_sheet(demo_sheet(1)).items()
    }


@pytest.mark.parametrize("name", sheet.TEXT_ITEMS)
def test_a_text_item_must_not_be_empty(name: str) -> None:
    with pytest.raises(sheet.SealInputError):
        sheet.normalise_sheet({"price": "1.00", name: " "})
