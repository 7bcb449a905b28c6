"""Sealing a bid on the bidder's machine, in one streaming pass with constant memory.

The main thread packs the files into tar and cuts it into 1 MiB chunks; a few threads
(:class:`~.parallel.OrderedWorkers`, one per core) encrypt them, and two more
(:class:`~.framing.BackgroundConsumer`) take them in order: one writes them out and feeds
the whole file's SM3, the other the signature's e = SM3(Z ‖ …). OpenSSL runs SM4-GCM and
SM3 without the GIL, so the cipher and the hashes use every core.
"""

from __future__ import annotations

import base64
import io
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from ..sm2 import SM2PrivateKey, SM2PublicKey
from ..sm3 import SM3
from .archive import Sink, plan_archive, write_archive
from .client import collect_client_info, file_creation_id_of
from .errors import MalformedEnvelope, SealInputError
from .framing import (
    BODY_LABEL,
    SHEET_LABEL,
    BackgroundConsumer,
    Block,
    aad,
    content_key_commitment,
    encrypt_part,
    sheet_nonce,
)
from .manifest import (
    ALGORITHMS,
    CONTENT_KEY_SIZE,
    DEFAULT_CHUNK_SIZE,
    FORMAT,
    MAGIC,
    MAX_BODY_SIZE,
    MAX_CHUNK_SIZE,
    MAX_RECIPIENTS,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    ROLE_PATTERN,
    TAG_SIZE,
    ClientInfo,
    Manifest,
    canonical_json,
    chunk_count,
    credit_code_is_valid,
)
from .parallel import OrderedWorkers, default_workers, framed_chunk
from .sheet import encode_sheet

BIDDER_ROLE = "bidder"
OPENING_ROLE = "opening"
_QUEUE_DEPTH = 3  # sealed chunks waiting for the writer
_CHUNKS_PER_WORKER = 2  # chunks being encrypted per thread: one running, one queued

Progress = Callable[[int, int], None]
"""Called after each chunk with (body bytes sealed so far, body bytes in all)."""


@dataclass(frozen=True)
class Recipient:
    """A key the content key is wrapped to, and why (``bidder``, ``opening``, ...)."""

    role: str
    public_key: SM2PublicKey


@dataclass(frozen=True)
class SealResult:
    manifest: Manifest
    size: int  # bytes written to ``out``
    sm3: str  # SM3 hex of everything written: what the server's receipt will show


def seal(
    *,
    out: BinaryIO,
    files: Sequence[Path],
    sheet: Mapping[str, Any],
    section_id: int,
    section_code: str,
    bidder_credit_code: str,
    signing_key: SM2PrivateKey,
    recipients: Sequence[Recipient],
    client: ClientInfo | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> SealResult:
    """Seal ``files`` and the opening ``sheet`` into ``out`` (see docs/envelope.md).

    The bidder's own key is added as a ``bidder`` recipient if it is not among
    ``recipients``, so the bidder can always open its own bid. Folders are packed
    recursively. On error (SealInputError for what the caller supplied), ``out`` holds a
    partial envelope that must be discarded.
    """
    plan = plan_archive(files)
    return seal_body(
        out=out,
        body_size=plan.size,
        write_body=lambda sink: write_archive(plan, sink),
        sheet=sheet,
        section_id=section_id,
        section_code=section_code,
        bidder_credit_code=bidder_credit_code,
        signing_key=signing_key,
        recipients=recipients,
        client=client or collect_client_info(file_creation_id=file_creation_id_of(plan)),
        chunk_size=chunk_size,
        progress=progress,
    )


def seal_body(
    *,
    out: BinaryIO,
    body_size: int,
    write_body: Callable[[Sink], object],
    sheet: Mapping[str, Any],
    section_id: int,
    section_code: str,
    bidder_credit_code: str,
    signing_key: SM2PrivateKey,
    recipients: Sequence[Recipient],
    client: ClientInfo,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> SealResult:
    """Seal a body that ``write_body`` writes (exactly ``body_size`` bytes) into a sink.

    :func:`seal` uses it with a tar of files; tests use it to seal hostile archives that
    the tool itself would never produce, to check that unsealing refuses them.
    """
    _check_identifiers(section_id, section_code, bidder_credit_code, chunk_size, body_size)
    sheet_plaintext = encode_sheet(sheet)
    content_key = secrets.token_bytes(CONTENT_KEY_SIZE)
    prefix = secrets.token_bytes(NONCE_PREFIX_SIZE)
    bidder_key = signing_key.public_key()
    document = {
        "algorithms": {**ALGORITHMS, "chunk_size": chunk_size},
        "bidder": {
            "credit_code": bidder_credit_code,
            "key_fingerprint": bidder_key.fingerprint(),
        },
        "body_chunks": chunk_count(body_size, chunk_size),
        "body_nonce_prefix": prefix.hex(),
        "body_plaintext_size": body_size,
        "client": client.to_json(),
        "content_key_commitment": content_key_commitment(content_key).hex(),
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "format": FORMAT,
        "recipients": _wrap_for_recipients(recipients, bidder_key, content_key),
        "section": {"code": section_code, "id": section_id},
        "sheet_size": len(sheet_plaintext) + TAG_SIZE,
    }
    try:
        # Parsing what we are about to write means we never seal what a reader would refuse.
        manifest = Manifest.from_bytes(canonical_json(document))
    except MalformedEnvelope as exc:  # e.g. a ClientInfo the caller built by hand
        raise SealInputError(exc.zh, exc.en) from None
    sheet_part = encrypt_part(
        content_key, sheet_nonce(prefix), aad(manifest.digest, SHEET_LABEL), sheet_plaintext
    )

    file_digest = SM3()
    message = bidder_key.message_hasher()

    def write_and_digest(block: Block) -> None:
        out.write(block)
        file_digest.update(block)

    workers = default_workers()
    # The two SM3s on two threads: one thread doing both was the pipeline's slowest stage.
    with (
        BackgroundConsumer(write_and_digest, depth=_QUEUE_DEPTH) as writing,
        BackgroundConsumer(message.update, depth=_QUEUE_DEPTH) as signing,
        OrderedWorkers[memoryview](workers, workers * _CHUNKS_PER_WORKER) as encrypting,
    ):
        writer = _FanOut(writing, signing)
        writer.put(
            MAGIC
            + len(manifest.raw).to_bytes(4, "big")
            + manifest.raw
            + len(sheet_part).to_bytes(4, "big")
            + sheet_part
        )
        sealer = _ChunkSealer(writer, encrypting, content_key, manifest, progress)
        write_body(sealer)
        sealer.finish()
    # The signature covers every byte before its own length field (docs/envelope.md).
    signature = signing_key.sign_digest(message.digest())
    trailer = len(signature).to_bytes(2, "big") + signature
    out.write(trailer)
    file_digest.update(trailer)
    return SealResult(manifest, manifest.envelope_size(len(signature)), file_digest.hexdigest())


def _bad(zh: str, en: str) -> SealInputError:
    return SealInputError(zh, en)


def _check_identifiers(
    section_id: int, section_code: str, credit_code: str, chunk_size: int, body_size: int
) -> None:
    if isinstance(section_id, bool) or not isinstance(section_id, int) or section_id < 1:
        raise _bad("标段编号必须是正整数", "the section id must be a positive integer")
    if not isinstance(section_code, str) or not 1 <= len(section_code) <= 256:
        raise _bad("标段代码必须是 1–256 个字符", "the section code must be 1–256 characters")
    if not section_code.isprintable():
        raise _bad("标段代码含有控制字符", "the section code contains control characters")
    if not credit_code_is_valid(credit_code):
        raise _bad(
            f"统一社会信用代码无效：{credit_code}",
            f"invalid unified social credit code: {credit_code}",
        )
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise _bad(
            f"分块大小必须在 {MIN_CHUNK_SIZE}–{MAX_CHUNK_SIZE} 字节之间",
            f"the chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes",
        )
    if not 1 <= body_size <= MAX_BODY_SIZE:
        raise _bad("投标文件过大", f"the files are too large to seal (over {MAX_BODY_SIZE} bytes)")


def _wrap_for_recipients(
    recipients: Sequence[Recipient], bidder_key: SM2PublicKey, content_key: bytes
) -> list[dict[str, str]]:
    chosen = list(recipients)
    if all(r.public_key != bidder_key for r in chosen):
        chosen.insert(0, Recipient(BIDDER_ROLE, bidder_key))
    if len(chosen) > MAX_RECIPIENTS:
        raise _bad("接收方过多", f"too many recipients (at most {MAX_RECIPIENTS})")
    if bad := next((r.role for r in chosen if not ROLE_PATTERN.match(r.role)), None):
        raise _bad(f"接收方角色名无效：{bad!r}", f"invalid recipient role {bad!r} (a-z, 0-9, _ -)")
    fingerprints = [r.public_key.fingerprint() for r in chosen]
    if len(set(fingerprints)) != len(fingerprints):
        raise _bad("同一个密钥被列为两个接收方", "the same key is listed as two recipients")
    return [
        {
            "key_fingerprint": fingerprint,
            "role": recipient.role,
            "wrapped_key": base64.b64encode(recipient.public_key.encrypt(content_key)).decode(),
        }
        for recipient, fingerprint in zip(chosen, fingerprints, strict=True)
    ]


class _FanOut:
    """Gives every block to each consumer, in the same order."""

    def __init__(self, *consumers: BackgroundConsumer) -> None:
        self._consumers = consumers

    def put(self, block: Block) -> None:
        for consumer in self._consumers:
            consumer.put(block)


class _ChunkSealer:
    """The tar writer's file object: cuts the stream into chunks, has them sealed on the
    worker threads and passes them to the writer in their order."""

    def __init__(
        self,
        writer: _FanOut,
        encrypting: OrderedWorkers[memoryview],
        content_key: bytes,
        manifest: Manifest,
        progress: Progress | None,
    ) -> None:
        self._writer = writer
        self._encrypting = encrypting
        self._key = content_key
        self._manifest = manifest
        self._aad = aad(manifest.digest, BODY_LABEL)
        self._progress = progress
        # A fresh buffer per chunk: the one just filled belongs to its encrypting thread.
        self._buffer = bytearray(manifest.chunk_size)
        self._fill = 0
        self._index = 0
        self._received = 0
        self._submitted = 0
        self._sealed = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        if self._received + size > self._manifest.body_plaintext_size:
            raise _bad("文件在封装过程中变大了", "the files grew while they were sealed")
        chunk_size = self._manifest.chunk_size
        while view:
            take = min(chunk_size - self._fill, len(view))
            self._buffer[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == chunk_size:
                self._submit(self._buffer)
                self._buffer = bytearray(chunk_size)
                self._fill = 0
        self._received += size
        return size

    def _submit(self, plaintext: bytearray) -> None:
        if self._encrypting.full():
            self._pass_on_oldest()
        index, manifest = self._index, self._manifest
        last = index == manifest.body_chunks - 1
        key, prefix, associated = self._key, manifest.body_nonce_prefix, self._aad
        self._encrypting.submit(
            lambda: framed_chunk(key, prefix, index, last, associated, plaintext)
        )
        self._index += 1
        self._submitted += len(plaintext)

    def _pass_on_oldest(self) -> None:
        framed = self._encrypting.next_result()
        self._writer.put(framed)
        self._sealed += len(framed) - 4 - TAG_SIZE
        if self._progress is not None:
            self._progress(self._sealed, self._manifest.body_plaintext_size)

    def finish(self) -> None:
        if self._fill:
            del self._buffer[self._fill :]
            self._submit(self._buffer)
            self._fill = 0
        while len(self._encrypting):
            self._pass_on_oldest()
        if self._index != self._manifest.body_chunks or self._submitted != self._received:
            raise _bad("文件在封装过程中变小了", "the files shrank while they were sealed")

    def tell(self) -> int:
        return self._received

    def read(self, size: int = -1, /) -> bytes:
        raise io.UnsupportedOperation("the envelope body is write-only")

    def seek(self, pos: int, /) -> int:
        raise io.UnsupportedOperation("the envelope body is not seekable")

    def close(self) -> None:
        """tarfile does not close a file object it was given; nothing to do."""
