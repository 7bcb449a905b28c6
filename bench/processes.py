"""Server processes a bench starts on ports it chooses (each helper and CI job keeps to its
own range, so runs side by side never meet): daphne, a Celery worker and Celery beat, all
with the environment ``tests.servers`` gives the test servers."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests import servers

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 180.0  # seconds; a loaded 2-core machine takes tens of seconds to start Celery


@contextmanager
def daphne(
    var_dir: Path, port: int, *, logs: Path | None = None, **extra: str
) -> Iterator[servers.Running]:
    """A daphne process on ``port``, answering before this yields; stopped afterwards. Its
    log goes to ``logs`` (kept after the run) or ``var_dir``."""
    env = servers.server_environment(var_dir, **extra)
    with servers.daphnes(var_dir, [port], log_dir=logs, env=env) as (running,):
        yield running


@contextmanager
def celery(
    var_dir: Path, *arguments: str, logs: Path | None = None, ready: str = "", **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A config.celery <arguments>`` (a worker, or beat); stopped afterwards. With
    ``ready``, this waits until the log shows it (a worker logs "ready." at INFO)."""
    (var_dir / "celery").mkdir(parents=True, exist_ok=True)  # beat keeps its schedule there
    log_dir = logs or var_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"celery-{arguments[0]}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config.celery", *arguments],
            cwd=ROOT,
            env=servers.server_environment(var_dir, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while ready and ready not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"celery {arguments[0]} did not start: {log_path}")
                time.sleep(0.2)
            yield process
        finally:
            servers.stop(process)
