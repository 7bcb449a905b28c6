"""SM3 hash (GB/T 32905-2016) through OpenSSL: :mod:`hashlib` when Python's OpenSSL has
SM3, else ``cryptography``'s.

hashlib is preferred because it releases the GIL while it hashes (for updates of 2 KiB and
more), so the sealing and unsealing threads hash and encrypt on different cores at once;
``cryptography`` holds the GIL during a hash update. Both are the same OpenSSL SM3.
gmssl's pure-Python SM3 runs at about 0.1 MB/s; it must never be used for data.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, Protocol

from cryptography.hazmat.primitives import hashes

DIGEST_SIZE = 32
BLOCK_SIZE = 64
DEFAULT_CHUNK_SIZE = 1 << 20


class _Context(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def copy(self) -> _Context: ...
    def digest(self) -> bytes: ...


def _hashlib_has_sm3() -> bool:
    try:
        return hashlib.new("sm3", b"abc").digest() == bytes.fromhex(
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        )
    except ValueError:  # this Python's OpenSSL was built without SM3
        return False


_HASHLIB_SM3 = _hashlib_has_sm3()


def _new_context() -> _Context:
    if _HASHLIB_SM3:
        return hashlib.new("sm3")
    return _CryptographyContext(hashes.Hash(hashes.SM3()))


class _CryptographyContext:
    """cryptography's Hash with hashlib's ``digest`` that leaves the hasher usable."""

    __slots__ = ("_hash",)

    def __init__(self, context: hashes.Hash) -> None:
        self._hash = context

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self._hash.update(data)

    def copy(self) -> _CryptographyContext:
        return _CryptographyContext(self._hash.copy())

    def digest(self) -> bytes:
        return self._hash.copy().finalize()


class SM3:
    """Streaming SM3 hasher, with the same shape as :mod:`hashlib` objects."""

    name = "sm3"
    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE

    __slots__ = ("_ctx",)

    def __init__(self, data: bytes = b"", *, _ctx: _Context | None = None) -> None:
        self._ctx = _ctx if _ctx is not None else _new_context()
        if data:
            self._ctx.update(data)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._ctx.update(data)

    def digest(self) -> bytes:
        # Both context kinds finalize a copy, so the hasher keeps absorbing data.
        return self._ctx.digest()

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> SM3:
        return SM3(_ctx=self._ctx.copy())


def sm3(data: bytes | bytearray | memoryview) -> bytes:
    """Return the 32-byte SM3 digest of ``data``."""
    context = SM3()
    context.update(data)
    return context.digest()


def sm3_hex(data: bytes | bytearray | memoryview) -> str:
    """Return the SM3 digest of ``data`` as 64 lowercase hex characters."""
    return sm3(data).hex()


def sm3_stream(fileobj: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE) -> bytes:
    """Hash a binary file object from its current position to EOF with constant memory."""
    hasher = SM3()
    update_from_stream(hasher, fileobj, chunk_size)
    return hasher.digest()


def update_from_stream(hasher: SM3, fileobj: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE) -> int:
    """Feed ``fileobj`` into ``hasher`` chunk by chunk; return the number of bytes read."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    readinto = getattr(fileobj, "readinto", None)
    total = 0
    if readinto is None:
        while chunk := fileobj.read(chunk_size):
            hasher.update(chunk)
            total += len(chunk)
        return total
    # Reusing one buffer keeps memory flat and avoids an allocation per chunk.
    view = memoryview(bytearray(chunk_size))
    while n := readinto(view):
        hasher.update(view[:n])
        total += n
    return total
