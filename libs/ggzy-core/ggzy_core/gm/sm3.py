"""SM3 hash (GB/T 32905-2016) through OpenSSL, via ``cryptography``.

gmssl's pure-Python SM3 runs at about 0.1 MB/s; it must never be used for data.
"""

from __future__ import annotations

from typing import BinaryIO

from cryptography.hazmat.primitives import hashes

DIGEST_SIZE = 32
BLOCK_SIZE = 64
DEFAULT_CHUNK_SIZE = 1 << 20


class SM3:
    """Streaming SM3 hasher, with the same shape as :mod:`hashlib` objects."""

    name = "sm3"
    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE

    __slots__ = ("_ctx",)

    def __init__(self, data: bytes = b"", *, _ctx: hashes.Hash | None = None) -> None:
        self._ctx = _ctx if _ctx is not None else hashes.Hash(hashes.SM3())
        if data:
            self._ctx.update(data)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._ctx.update(data)

    def digest(self) -> bytes:
        # Finalize a copy so the hasher can keep absorbing data, as hashlib allows.
        return self._ctx.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> SM3:
        return SM3(_ctx=self._ctx.copy())


def sm3(data: bytes | bytearray | memoryview) -> bytes:
    """Return the 32-byte SM3 digest of ``data``."""
    ctx = hashes.Hash(hashes.SM3())
    ctx.update(data)
    return ctx.finalize()


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
