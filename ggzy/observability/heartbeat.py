"""Heartbeat files for the Celery worker and beat, read by ``manage.py health worker|beat``.

- The worker: :class:`WorkerHeartbeat`, a step of the worker's consumer (config/celery.py
  adds it: ``app.steps["consumer"].add(WorkerHeartbeat)``), touches
  ``HEALTH_DIR/worker-<node name>`` every ``HEARTBEAT_SECONDS`` from the consumer's own timer,
  so the file stays fresh only while the consumer is connected to the broker and its event
  loop turns; it is removed when the consumer stops.
- Beat: :class:`HeartbeatScheduler` (``CELERY_BEAT_SCHEDULER``) touches ``HEALTH_DIR/beat``
  on every tick of the schedule loop.

A file, not ``celery inspect ping``: it works with the embedded filesystem broker too, costs
the broker nothing (a ping is a broadcast every worker answers), and a container's probe
reads its own process's file (docs/decisions.md).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings


def health_dir() -> Path:
    return Path(getattr(settings, "HEALTH_DIR", Path(settings.VAR_DIR) / "health"))


def _safe_name(name: str) -> str:
    return "".join(char if char.isalnum() or char in "@._-" else "_" for char in name)


def worker_file(node_name: str) -> Path:
    return health_dir() / f"worker-{_safe_name(node_name)}"


def beat_file() -> Path:
    return health_dir() / "beat"


def touch(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch()
    os.utime(path)  # touch() leaves the time alone on some file systems when the file exists


def age_seconds(path: Path) -> float | None:
    """Seconds since the file was last touched, or None when there is none."""
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return None


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer step: the heartbeat runs while the consumer is connected."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_ref: Any = None
        self.path: Path | None = None

    def start(self, parent: Any) -> None:
        self.path = worker_file(parent.hostname)
        touch(self.path)
        interval = float(getattr(settings, "HEARTBEAT_SECONDS", 10))
        self.timer_ref = parent.timer.call_repeatedly(interval, touch, (self.path,), priority=10)

    def stop(self, parent: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, touching the beat heartbeat file on every tick."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        touch(beat_file())
        interval: float = super().tick(*args, **kwargs)
        return interval
