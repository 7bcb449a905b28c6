"""Times in the messages services write, as pages write them (issue 13): Beijing time with
the zone named, never UTC and never without a zone. Pages use ``{{ moment|beijing }}``
(ggzy.templatetags.times); a bilingual refusal ("中文 / English", ggzy.errors) uses
``both(moment)`` for its two halves."""

from __future__ import annotations

import datetime as dt

from ggzy_core.times import BEIJING

ZH, EN = "北京时间", "Beijing time (UTC+8)"


def local(moment: dt.datetime, *, seconds: bool = False) -> str:
    """``2026-12-01 16:00`` (``…16:00:00`` with ``seconds``) in Beijing."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def both(moment: dt.datetime, *, seconds: bool = False) -> tuple[str, str]:
    """``("2026-12-01 16:00 北京时间", "2026-12-01 16:00 Beijing time (UTC+8)")``."""
    text = local(moment, seconds=seconds)
    return f"{text} {ZH}", f"{text} {EN}"
