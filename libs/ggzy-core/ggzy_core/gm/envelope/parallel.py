"""Sealing and opening body chunks on several threads, results kept in order.

Every body chunk is its own SM4-GCM message (framing.py), so chunks can be encrypted or
decrypted independently. OpenSSL runs SM4-GCM without holding the GIL, so a few threads
use every core; the caller still sees the chunks one after another, in their order, and
at most ``depth`` of them are in flight, so memory stays constant whatever the bid's size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

from ..sm4 import GCMEncryptor
from .framing import chunk_nonce
from .manifest import TAG_SIZE

T = TypeVar("T")

_MAX_WORKERS = 4  # beyond this the single writer (or reader) thread is the limit anyway
_LENGTH_FIELD = 4
_CIPHER_SLACK = 15  # cryptography's update_into wants room for one block less one byte


def default_workers() -> int:
    """Threads for SM4-GCM: one per core, at least 1 and at most 4."""
    return max(1, min(_MAX_WORKERS, os.cpu_count() or 1))


class OrderedWorkers(Generic[T]):
    """Runs jobs on ``workers`` threads and returns their results in submission order.

    ``submit`` while ``full()`` is the caller's mistake: take a result first. A job's
    exception is raised by ``next_result`` when that job's turn comes, so every result
    before it has been handed out and nothing after it is.
    """

    def __init__(self, workers: int, depth: int) -> None:
        if workers < 1 or depth < 1:
            raise ValueError("workers and depth must be positive")
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="ggzy-envelope-sm4")
        self._pending: deque[Future[T]] = deque()
        self._depth = depth

    def full(self) -> bool:
        return len(self._pending) >= self._depth

    def __len__(self) -> int:
        return len(self._pending)

    def submit(self, job: Callable[[], T]) -> None:
        if self.full():
            raise RuntimeError("too many chunks in flight; take a result first")
        self._pending.append(self._executor.submit(job))

    def next_result(self) -> T:
        return self._pending.popleft().result()

    def close(self) -> None:
        """Drop the jobs nobody will collect and wait for the threads to stop."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> OrderedWorkers[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def framed_chunk(
    key: bytes, prefix: bytes, index: int, last: bool, associated: bytes, plaintext: bytearray
) -> memoryview:
    """Seal one body chunk and return it as framed on disk: length (u32 BE) ‖ ciphertext ‖
    tag, in one buffer, so the writer makes one write and one hash update per chunk."""
    size = len(plaintext)
    framed = bytearray(_LENGTH_FIELD + size + TAG_SIZE + _CIPHER_SLACK)
    framed[:_LENGTH_FIELD] = (size + TAG_SIZE).to_bytes(_LENGTH_FIELD, "big")
    view = memoryview(framed)
    encryptor = GCMEncryptor(key, chunk_nonce(prefix, index, last), associated)
    written = encryptor.update_into(plaintext, view[_LENGTH_FIELD:])
    if written != size:  # GCM is a stream mode: all of it comes out at once
        raise AssertionError(f"SM4-GCM returned {written} of {size} bytes")
    end = _LENGTH_FIELD + size
    view[end : end + TAG_SIZE] = encryptor.finalize()
    return view[: end + TAG_SIZE]
