"""Byte-level pieces of the envelope: nonces, AAD, the content-key commitment, a framed
reader, and a background consumer that hashes and writes while the caller encrypts.

STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): chunk i of n is sealed
with nonce ``prefix(7) ‖ i (u32 BE) ‖ last(1)`` where last is 0x01 only for i = n-1. A
chunk moved to another position, or a non-final chunk presented as the final one, is
decrypted under a different nonce and fails its tag, so reordering, truncation (at a chunk
boundary too) and appending are all caught by decryption alone, whatever the framing says.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import BinaryIO

from ..errors import DecryptionError
from ..sm3 import sm3
from ..sm4 import GCMDecryptor, GCMEncryptor
from .errors import MalformedEnvelope, TamperedEnvelope
from .manifest import TAG_SIZE

SHEET_LABEL = b"sheet"
BODY_LABEL = b"body"
_COMMITMENT_LABEL = b"ggzy-bid/1 content key commitment\x00"
# The sheet's nonce uses a flag byte the body never uses, so it cannot collide with a chunk.
_SHEET_COUNTER = b"\xff\xff\xff\xff"
_SHEET_FLAG = b"\x02"

Block = bytes | bytearray | memoryview


def content_key_commitment(content_key: bytes) -> bytes:
    """SM3 over a label and the key. GCM is not key-committing: without this, a bidder
    could wrap different keys to different recipients and craft parts that decrypt, under
    each, to a different valid sheet (a different price). Every recipient checks it."""
    return sm3(_COMMITMENT_LABEL + content_key)


def chunk_nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def sheet_nonce(prefix: bytes) -> bytes:
    return prefix + _SHEET_COUNTER + _SHEET_FLAG


def aad(manifest_digest: bytes, label: bytes) -> bytes:
    return manifest_digest + label


def encrypt_part(
    key: bytes, nonce: bytes, associated: bytes, plaintext: bytes | memoryview
) -> bytes:
    enc = GCMEncryptor(key, nonce, associated)
    return enc.update(plaintext) + enc.finalize()


def decrypt_chunk(
    key: bytes, prefix: bytes, index: int, last: bool, associated: bytes, data: bytes
) -> bytes:
    """Decrypt one body chunk (ciphertext ‖ tag); TamperedEnvelope names the chunk."""
    dec = GCMDecryptor(key, chunk_nonce(prefix, index, last), associated)
    plaintext = dec.update(memoryview(data)[:-TAG_SIZE])
    try:
        dec.finalize(data[-TAG_SIZE:])
    except DecryptionError:
        raise TamperedEnvelope(
            f"第 {index + 1} 块密文认证失败（被篡改、调换、截断或追加）",
            f"body chunk {index + 1} failed authentication "
            "(modified, reordered, truncated or extended)",
        ) from None
    return plaintext


class FramedReader:
    """Reads the envelope's parts in order, passing every byte read to ``observe``."""

    def __init__(self, fileobj: BinaryIO, observe: Callable[[bytes], None] | None = None) -> None:
        self._file = fileobj
        self.observe = observe
        self.position = 0

    def exact(self, size: int, zh: str, en: str) -> bytes:
        data = self._file.read(size)
        while len(data) < size:  # a pipe or socket may return less than asked
            more = self._file.read(size - len(data))
            if not more:
                raise MalformedEnvelope(
                    f"投标文件不完整：{zh}处被截断（位置 {self.position + len(data)}）",
                    f"truncated bid: the file ends inside the {en} "
                    f"(at byte {self.position + len(data)})",
                )
            data += more
        self.position += size
        if self.observe is not None:
            self.observe(data)
        return data

    def upto(self, size: int) -> bytes:
        """Up to ``size`` bytes, fewer only at the end of the file."""
        data = self._file.read(size)
        while len(data) < size and (more := self._file.read(size - len(data))):
            data += more
        self.position += len(data)
        if self.observe is not None:
            self.observe(data)
        return data

    def u32(self, zh: str, en: str) -> int:
        return int.from_bytes(self.exact(4, zh, en), "big")

    def u16(self, zh: str, en: str) -> int:
        return int.from_bytes(self.exact(2, zh, en), "big")

    def expect_end(self) -> None:
        if self._file.read(1):
            raise MalformedEnvelope(
                f"签名之后还有多余的数据（位置 {self.position}）",
                f"unexpected data after the signature (at byte {self.position})",
            )


def expect_length(found: int, expected: int, zh: str, en: str) -> None:
    if found != expected:
        raise MalformedEnvelope(
            f"{zh}长度为 {found}，与清单不符（应为 {expected}）",
            f"the {en} is {found} bytes long, the manifest says {expected}",
        )


class BackgroundConsumer:
    """Feeds byte blocks to ``consume`` in a worker thread through a bounded queue.

    SM3 and SM4 run in OpenSSL and release the GIL, so hashing (and writing) in a second
    thread while the caller encrypts or reads uses two cores. The queue depth bounds memory.
    A failure in the worker is raised in the caller at its next ``put`` or at ``close``.
    """

    def __init__(self, consume: Callable[[Block], None], *, depth: int = 4) -> None:
        self._consume = consume
        self._queue: queue.Queue[Block | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ggzy-envelope-io", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._error is None:  # after a failure keep draining so put() never blocks
                try:
                    self._consume(block)
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def put(self, block: Block) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(block)

    def close(self) -> None:
        """Wait until every block has been consumed; raise the worker's error, if any."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundConsumer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        elif not self._closed:  # the caller failed: stop the worker, keep the first error
            self._closed = True
            self._queue.put(None)
            self._thread.join()
