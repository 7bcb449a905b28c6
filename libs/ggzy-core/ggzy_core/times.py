"""Times as a person reads them — on a page, in the bidder's tool, in the opening record:
``2026-11-30 18:00:00 北京时间 (UTC+8)``.

China has one zone and no daylight saving since 1991: a fixed offset, no tz database needed
(Windows ships none, and the bidder's tool must not depend on tzdata).
"""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")
ZONE_LABEL = "北京时间 (UTC+8)"


def beijing(moment: str | dt.datetime, *, milliseconds: bool = True) -> str:
    """An aware datetime or an ISO 8601 string (the server's and the receipts' format) in
    Beijing time with the zone; milliseconds are shown when there are any and ``milliseconds``
    is set. Text that is not a time is returned unchanged; a naive time is never guessed."""
    if isinstance(moment, str):
        try:
            parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return moment
        moment = parsed
    if moment.tzinfo is None:
        return moment.isoformat(sep=" ")
    local = moment.astimezone(BEIJING)
    fraction = f".{local.microsecond // 1000:03d}" if milliseconds and local.microsecond else ""
    return f"{local:%Y-%m-%d %H:%M:%S}{fraction} {ZONE_LABEL}"


def beijing_from_epoch_ms(epoch_ms: int) -> str:
    """A hall deadline (events carry epoch milliseconds) as a person reads it."""
    return beijing(dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC), milliseconds=False)
