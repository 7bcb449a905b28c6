"""One clock for the test and its server processes, moved forward only.

A tender takes weeks (twenty days from the documents to the deadline [L24], three days of
publicity [R54]); a browser test takes minutes. The test process travels with time-machine
(which moves pytest-django's live server too: it runs in this process), and the daphne and
Celery processes it starts run on the same shifted clock (tests/browser/shifted_clock.py),
so every party agrees on the time. Only forward: a session cookie set on a travelled clock
must not already have expired for the browser, which keeps the real time.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import time_machine

from tests import servers


def real_now() -> dt.datetime:
    """The real time, even while the test travels."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC)


@dataclass
class Timeline:
    travellers: list[Any] = field(default_factory=list)
    offset: float = 0.0  # seconds ahead of the real clock

    def travel_to(self, moment: dt.datetime) -> None:
        """From now on the clock reads ``moment``, and ticks (forward only)."""
        offset = (moment - real_now()).total_seconds()
        assert offset >= self.offset - 1, "the timeline only moves forward"
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        self.travellers.append(traveller)
        self.offset = offset

    def stop(self) -> None:
        while self.travellers:
            self.travellers.pop().stop()

    def command(self, module: str, *arguments: str) -> list[str]:
        """``python -m module arguments`` on this timeline's clock."""
        shifted = ["-m", "tests.browser.shifted_clock", f"{self.offset:.6f}"]
        return [sys.executable, *shifted, module, *arguments]

    @contextmanager
    def daphne(self, var_dir: Path, **extra: str) -> Iterator[servers.Running]:
        """tests.servers.daphne, on this timeline's clock."""
        env = servers.server_environment(var_dir, **extra)
        ports = [servers.free_port()]
        with servers.daphnes(var_dir, ports, env=env, launch=self.command) as (running,):
            yield running

    @contextmanager
    def celery_worker(self, var_dir: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
        """tests.servers.celery_worker, on this timeline's clock."""
        arguments = ("-A", "config.celery", "worker", "--pool=solo", "--loglevel=INFO")
        with (var_dir / "worker.log").open("wb") as log:
            process = subprocess.Popen(
                self.command("celery", *arguments),
                cwd=servers.ROOT,
                env=servers.server_environment(var_dir, **extra),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                yield process
            finally:
                servers.stop(process)
