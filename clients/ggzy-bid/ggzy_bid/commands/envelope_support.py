"""Shared by ``seal``, ``inspect`` and ``unseal``: error wording, a progress bar, and
writing a file under its final name only once it is complete."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ggzy_core.gm.envelope import EnvelopeError

from .. import output
from ..errors import CLIError

MIB = 1 << 20


@contextlib.contextmanager
def bilingual_errors() -> Iterator[None]:
    """The envelope's errors already say why in both languages: pass them through as is."""
    try:
        yield
    except EnvelopeError as exc:
        raise CLIError(exc.zh, exc.en) from None


class ProgressBar:
    """A one-line progress display on stderr (``tqdm`` is not a dependency)."""

    def __init__(self, label: str, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._interval = interval
        self._shown_at = 0.0

    @classmethod
    def wanted(cls, label: str, *, forced: bool) -> ProgressBar | None:
        return cls(label) if forced or sys.stderr.isatty() else None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self._shown_at < self._interval:
            return
        self._shown_at = now
        percent = 100 * done // total if total else 100
        output.progress(
            f"{self._label} {percent:3d}%  {done / MIB:8.1f} / {total / MIB:.1f} MiB",
            stream=self._stream,
            finished=finished,
        )


def temporary_beside(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def publish(tmp: Path, target: Path, *, force: bool) -> None:
    """Give the finished temporary file its final name; without ``force`` never replace a
    file that appeared meanwhile (``link()`` fails atomically if the target exists)."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise CLIError(
            f"文件 {target} 已存在，未覆盖", f"{target} already exists and was not overwritten"
        ) from None
    except OSError:  # file systems without hard links
        if os.path.lexists(target):
            raise CLIError(
                f"文件 {target} 已存在，未覆盖", f"{target} already exists and was not overwritten"
            ) from None
        os.replace(tmp, target)
    else:
        tmp.unlink()
