"""The one authoritative clock.

The server's clock decides every deadline (mission, trust model point 2), so no code reads
the time any other way: services call ``clock.now()``; tests move it with time-machine,
which patches the functions used here.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def now() -> dt.datetime:
    """The current server time, timezone-aware, UTC, with microseconds."""
    return dt.datetime.now(tz=UTC)


def epoch_ms(moment: dt.datetime | None = None) -> int:
    """Milliseconds since the Unix epoch: the unit clients use for countdowns."""
    moment = moment or now()
    return int(moment.timestamp() * 1000)
