"""``{{ moment|beijing }}``: a time on a page as a person reads it, in Beijing time with the
zone (issue 8: the tool, the pages and the record say the same). A builtin library
(config/settings.py ``TEMPLATES.OPTIONS.builtins``), so templates need no ``{% load %}``."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext

from ggzy_core.times import BEIJING

register = template.Library()

_FORMATS = {"minutes": "%Y-%m-%d %H:%M", "seconds": "%Y-%m-%d %H:%M:%S"}


@register.filter
def beijing(moment: dt.datetime | None, precision: str = "seconds") -> str:
    """``2026-11-30 18:00:00 北京时间`` (``Beijing time`` on English pages); ``precision`` is
    ``minutes``, ``seconds`` or ``micro``; empty for no time."""
    if moment is None or moment == "":
        return ""
    local = moment.astimezone(BEIJING)
    if precision == "micro":
        text = f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond:06d}"
    else:
        text = local.strftime(_FORMATS.get(precision, _FORMATS["seconds"]))
    return f"{text} {gettext('Beijing time')}"
