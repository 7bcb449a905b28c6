"""Each hall's latest sequence number as this process knows it, so that the sockets'
heartbeats need not ask the database one by one.

A heartbeat compares what its socket has sent with the hall's latest number, to catch up a
broadcast lost on the way (docs/hall-protocol.md). Asked of the database by every socket, that
is a query per socket every few seconds on the one thread daphne runs database calls on — with
hundreds of sockets per process it delays the events themselves. Here the number comes from
the broadcasts this process receives, and from the database at most once per ``max_age`` for
each hall: a broadcast lost to the whole process is still noticed within ``max_age`` plus a
heartbeat.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable


class KnownSequences:
    def __init__(self, *, max_age: float, now: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.now = now
        self._latest: dict[int, int] = {}
        self._asked_at: dict[int, float] = {}

    def saw(self, hall_id: int, sequence: int) -> None:
        """A broadcast (or the database) showed this number."""
        if sequence > self._latest.get(hall_id, 0):
            self._latest[hall_id] = sequence

    async def latest(self, hall_id: int, ask: Callable[[int], Awaitable[int]]) -> int:
        """The hall's latest number: asked of the database (``ask``) when nobody in this
        process asked for ``max_age``, otherwise the number known."""
        now = self.now()
        if now - self._asked_at.get(hall_id, float("-inf")) >= self.max_age:
            # Marked before the query: the other sockets use the known number meanwhile
            # rather than asking too.
            self._asked_at[hall_id] = now
            try:
                self.saw(hall_id, await ask(hall_id))
            except BaseException:
                self._asked_at.pop(hall_id, None)  # the next heartbeat asks again
                raise
        return self._latest.get(hall_id, 0)
