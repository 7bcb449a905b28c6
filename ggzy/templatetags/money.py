"""Money on pages, one way everywhere (issue 13; ggzy/money.py): ``{{ amount|yuan }}`` →
``1,234,567.89`` (the unit in the label: "Price (yuan)" / "价格（元）"), and
``{{ amount|yuan_in_words }}`` → ``壹佰万肆仟元伍角`` where a document states an amount; mark
it Chinese: ``<span class="in-words" lang="zh-Hans">人民币（大写）…</span>``. A builtin
library (config/settings.py ``TEMPLATES.OPTIONS.builtins``): no ``{% load %}``."""

from __future__ import annotations

from typing import Any

from django import template

from ggzy import money

register = template.Library()


@register.filter
def yuan(amount: Any) -> str:
    """``1,234,567.89``; empty for no amount."""
    return money.yuan(amount)


@register.filter
def yuan_in_words(amount: Any) -> str:
    """``捌拾万元整``; empty for no amount."""
    return money.in_words(amount)
