"""An upload's bytes: numbered parts in Django storage (file system or S3), read back as
one stream, and the SM3 of everything received so far.

Each PATCH of the resumable protocol becomes one part, streamed to storage with constant
memory while SM3 follows the bytes. The running hash lives in this process; when a resume
lands on another process (or after a restart) it is rebuilt from the stored parts, so it is
always the hash of exactly what is stored.
"""

from __future__ import annotations

import errno
import io
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

from bidding.models import Upload
from ggzy_core.gm.sm3 import SM3

READ_SIZE = 1 << 20
_HASHERS_KEPT = 256


class _Hashers:
    """(upload id → (offset, SM3 state)), most recently used last, bounded."""

    def __init__(self) -> None:
        self._states: OrderedDict[str, tuple[int, SM3]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, upload: Upload) -> SM3:
        with self._lock:
            state = self._states.pop(str(upload.id), None)
        if state is not None and state[0] == upload.offset:
            return state[1]
        hasher = SM3()
        for chunk in iter_parts(upload):
            hasher.update(chunk)
        return hasher

    def keep(self, upload: Upload, offset: int, hasher: SM3) -> None:
        with self._lock:
            self._states[str(upload.id)] = (offset, hasher)
            while len(self._states) > _HASHERS_KEPT:
                self._states.popitem(last=False)

    def forget(self, upload: Upload) -> None:
        with self._lock:
            self._states.pop(str(upload.id), None)


hashers = _Hashers()


class _CountingReader(io.RawIOBase):
    """Reads at most ``limit`` bytes from ``source``, feeding them to ``hasher``."""

    def __init__(self, source: IO[bytes] | Any, limit: int, hasher: SM3) -> None:
        self._source = source
        self._left = limit
        self._hasher = hasher
        self.count = 0
        self.overflow = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = READ_SIZE if size is None or size < 0 else size
        data = self._source.read(min(want, self._left + 1))
        if len(data) > self._left:
            self.overflow = True
            data = data[: self._left]
        self._left -= len(data)
        self.count += len(data)
        self._hasher.update(data)
        return bytes(data)


class EmptyPart(Exception):
    """The request carried no bytes: there is nothing to store."""


class NoRoom(Exception):
    """The local disk would fall below its reserve: nothing was stored, retry later."""


class _Prefixed(io.RawIOBase):
    """``head`` (already read from ``source``), then the rest of ``source``."""

    def __init__(self, head: bytes, source: IO[bytes] | Any) -> None:
        self._head = head
        self._source = source

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            want = len(self._head) if size is None or size < 0 else size
            data, self._head = self._head[:want], self._head[want:]
            return data
        return bytes(self._source.read(size))


def _local_location() -> str | None:
    """Where parts land when storage is the local file system; None for S3 and the like."""
    if isinstance(default_storage, FileSystemStorage):
        return str(default_storage.location)
    return None


def check_room(incoming: int) -> None:
    """Refuse (``NoRoom``) a part of up to ``incoming`` bytes if the local disk would keep
    less than ``BIDDING_MIN_FREE_BYTES`` free. Object storage (S3) is not checked: it has no
    local disk to fill, and its own limits answer as errors of the storage call."""
    location = _local_location()
    if location is None:
        return
    folder = Path(location)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # MEDIA_ROOT is created on the first save
    if shutil.disk_usage(folder).free - incoming < settings.BIDDING_MIN_FREE_BYTES:
        raise NoRoom


def store_part(upload: Upload, source: IO[bytes] | Any, *, limit: int) -> tuple[int, SM3, bool]:
    """Stream ``source`` into the upload's next part. Returns (bytes stored, the hash of
    everything up to and including them, whether the source held more than ``limit``).
    Raises ``EmptyPart`` (nothing touched) if the source holds no bytes, ``NoRoom`` if the
    disk filled up while storing (the half-written part is removed)."""
    head = bytes(source.read(min(READ_SIZE, limit + 1)))
    if not head:
        raise EmptyPart  # before storage or the running hash are touched
    hasher = hashers.take(upload)
    reader = _CountingReader(_Prefixed(head, source), limit, hasher)
    name = upload.part_name(upload.parts + 1)
    # A crash between storing a part and recording it leaves an orphan under this name:
    # replace it rather than let storage pick another name.
    if default_storage.exists(name):
        default_storage.delete(name)
    content = File(cast(IO[bytes], reader), name=name)
    # File storage writes in content.chunks() pieces (64 KiB by default): larger pieces mean
    # fewer hash updates and write calls per part.
    content.DEFAULT_CHUNK_SIZE = READ_SIZE
    try:
        stored = default_storage.save(name, content)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        discard_part(upload, upload.parts + 1)
        raise NoRoom from exc
    if stored != name:  # storage renamed it: our numbering would break
        default_storage.delete(stored)
        raise OSError(f"storage refused part name {name}")
    return reader.count, hasher, reader.overflow


def discard_part(upload: Upload, index: int) -> None:
    name = upload.part_name(index)
    if default_storage.exists(name):
        default_storage.delete(name)


def iter_parts(upload: Upload, parts: int | None = None) -> Iterator[bytes]:
    for index in range(1, (upload.parts if parts is None else parts) + 1):
        with default_storage.open(upload.part_name(index), "rb") as handle:
            while chunk := handle.read(READ_SIZE):
                yield chunk


class PartsReader(io.RawIOBase):
    """The stored parts as one readable stream (for verification and, later, opening)."""

    def __init__(self, upload: Upload) -> None:
        self._chunks = iter_parts(upload)
        self._buffer = b""
        self._position = 0  # into _buffer: small reads must not copy a whole chunk each time

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = self._buffer[self._position :] + b"".join(self._chunks)
            self._buffer, self._position = b"", 0
            return rest
        pieces = []
        wanted = size
        while wanted > 0:
            if self._position >= len(self._buffer):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._buffer, self._position = chunk, 0
            piece = self._buffer[self._position : self._position + wanted]
            self._position += len(piece)
            wanted -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)


class HashingReader(io.RawIOBase):
    """Reads through another stream, keeping the SM3 of everything read."""

    def __init__(self, source: IO[bytes] | Any) -> None:
        self._source = source
        self.hasher = SM3()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = bytes(self._source.read(size))
        self.hasher.update(data)
        return data

    def drain(self) -> str:
        """Read what is left and return the SM3 hex of the whole stream."""
        while self.read(READ_SIZE):
            pass
        return self.hasher.hexdigest()


def delete_all(upload: Upload) -> None:
    """Remove every stored part (a refused or abandoned upload keeps nothing half-stored)."""
    for index in range(1, upload.parts + 2):
        discard_part(upload, index)
    hashers.forget(upload)
