"""What ``ggzy-bid`` prints for a person: Beijing time with its zone, and one rule for stderr —
a progress line that is still open is ended (a newline) before anything else is printed, so
an error or a result never lands on the end of "  45%  …"."""

from __future__ import annotations

import sys
from typing import TextIO

from ggzy_core.times import beijing

__all__ = ["beijing", "end_progress", "error", "notice", "progress", "say", "warn"]

_open_progress: TextIO | None = None


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
