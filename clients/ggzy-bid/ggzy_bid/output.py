"""What ``ggzy-bid`` prints for a person: Beijing time with its zone, and one rule for stderr —
a progress line that is still open is ended (a newline) before anything else is printed, so
an error or a result never lands on the end of "  45%  …"."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TextIO

# China has one zone and no daylight saving since 1991: a fixed offset, no tz database
# needed (Windows ships none, and the tool must not depend on tzdata).
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")
_ZONE_LABEL = "北京时间 (UTC+8)"

_open_progress: TextIO | None = None


def beijing(moment: str | dt.datetime) -> str:
    """``2026-11-30 18:00:00 北京时间 (UTC+8)`` for an aware datetime or an ISO 8601 string
    (the server's and the receipts' format); text that is not a time is returned unchanged."""
    if isinstance(moment, str):
        try:
            parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
        moment = parsed
    if moment.tzinfo is None:  # the platform always sends aware times; never guess a zone
        return moment.isoformat(sep=" ")
    local = moment.astimezone(BEIJING)
    fraction = f".{local.microsecond // 1000:03d}" if local.microsecond else ""
    return f"{local:%Y-%m-%d %H:%M:%S}{fraction} {_ZONE_LABEL}"


def progress(text: str, *, stream: TextIO | None = None, finished: bool = False) -> None:
    """Redraw the progress line (``\\r``); ``finished`` ends it."""
    global _open_progress
    target = stream or sys.stderr
    target.write(f"\r{text}")
    if finished:
        target.write("\n")
        _open_progress = None
    else:
        _open_progress = target
    target.flush()


def end_progress() -> None:
    """End an open progress line, if any, so the next output starts on a line of its own."""
    global _open_progress
    if _open_progress is not None:
        _open_progress.write("\n")
        _open_progress.flush()
        _open_progress = None


def say(text: str = "") -> None:
    """A result line on stdout."""
    end_progress()
    print(text)


def warn(zh: str, en: str) -> None:
    """A warning on stderr, worded like the errors: "注意：… / warning: …"."""
    end_progress()
    print(f"注意：{zh} / warning: {en}", file=sys.stderr)


def notice(zh: str, en: str) -> None:
    """Something the person should know (not a problem): "说明：… / note: …" on stderr."""
    end_progress()
    print(f"说明：{zh} / note: {en}", file=sys.stderr)


def error(line: str) -> None:
    end_progress()
    print(line, file=sys.stderr)
