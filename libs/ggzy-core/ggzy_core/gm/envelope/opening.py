"""Reading, verifying and opening sealed bids.

``verify`` is what the server runs on an upload: one streaming pass, no key, constant
memory. The rest need the content key, which only a recipient's private key unwraps.
"""

from __future__ import annotations

import functools
import hmac
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .. import der
from ..errors import DecryptionError, InvalidSignature, MalformedData
from ..sm2 import SM2PrivateKey, SM2PublicKey
from ..sm3 import SM3
from ..sm4 import gcm_decrypt
from .archive import extract_archive
from .errors import (
    EnvelopeSignatureError,
    MalformedEnvelope,
    TamperedEnvelope,
    UnsafeArchive,
    UnsealTargetError,
    WrongContentKey,
)
from .framing import (
    BODY_LABEL,
    SHEET_LABEL,
    BackgroundConsumer,
    Block,
    FramedReader,
    aad,
    content_key_commitment,
    decrypt_chunk,
    expect_length,
    sheet_nonce,
)
from .manifest import (
    CONTENT_KEY_SIZE,
    MAGIC,
    MAX_MANIFEST_SIZE,
    MAX_SIGNATURE_SIZE,
    TAG_SIZE,
    Manifest,
)
from .parallel import OrderedWorkers, default_workers
from .sealing import Progress
from .sheet import decode_sheet

KeyLookup = Callable[[str], SM2PublicKey | None]
"""Given the bidder key fingerprint named in a manifest, the bound public key (or None)."""

Signer = SM2PublicKey | KeyLookup

_CHUNKS_PER_WORKER = 2  # chunks being decrypted per thread: one running, one queued

# What an unencrypted upload usually is, to say so instead of just "bad magic".
_PLAINTEXT_KINDS = (
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/Office"),
    (b"\xd0\xcf\x11\xe0", "Office 97-2003"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
)


@dataclass(frozen=True)
class EnvelopeHeader:
    """The parts a hall needs before the body: the manifest and the sealed sheet."""

    manifest: Manifest
    sheet: bytes  # SM4-GCM ciphertext ‖ tag


@dataclass(frozen=True)
class VerifiedEnvelope:
    manifest: Manifest
    sheet: bytes
    signature: bytes
    signature_verified: bool  # False only when verify() was called without a signer
    sm3: str  # SM3 hex of the whole file
    size: int

    @property
    def header(self) -> EnvelopeHeader:
        return EnvelopeHeader(self.manifest, self.sheet)


def _not_a_bid(head: bytes) -> MalformedEnvelope:
    if not head:
        zh, en = "空文件", "empty file"
    else:
        kind = next((name for magic, name in _PLAINTEXT_KINDS if head.startswith(magic)), None)
        zh = f"文件头不对，这是未加密的 {kind} 文件" if kind else "文件头不对"
        en = f"bad magic; this is an unencrypted {kind} file" if kind else "bad magic"
    return MalformedEnvelope(f"不是加密投标文件（{zh}）", f"not a sealed ggzy bid ({en})")


def _read_manifest(reader: FramedReader) -> Manifest:
    head = reader.upto(len(MAGIC))
    if head != MAGIC:
        raise _not_a_bid(head)
    size = reader.u32("清单长度", "manifest length")
    if not 2 <= size <= MAX_MANIFEST_SIZE:
        raise MalformedEnvelope(
            f"清单长度 {size} 不合理",
            f"absurd manifest length {size} (at most {MAX_MANIFEST_SIZE})",
        )
    return Manifest.from_bytes(reader.exact(size, "清单", "manifest"))


def _read_sheet(reader: FramedReader, manifest: Manifest) -> bytes:
    size = reader.u32("开标一览表长度", "opening sheet length")
    expect_length(size, manifest.sheet_size, "开标一览表", "opening sheet")
    return reader.exact(size, "开标一览表", "opening sheet")


def read_manifest(fileobj: BinaryIO) -> Manifest:
    """Parse only the magic and the manifest (no key needed)."""
    return _read_manifest(FramedReader(fileobj))


def read_header(fileobj: BinaryIO) -> EnvelopeHeader:
    reader = FramedReader(fileobj)
    manifest = _read_manifest(reader)
    return EnvelopeHeader(manifest, _read_sheet(reader, manifest))


def _resolve_signer(signer: Signer | None, manifest: Manifest) -> SM2PublicKey | None:
    if signer is None:
        return None
    named = manifest.bidder_key_fingerprint
    key = signer if isinstance(signer, SM2PublicKey) else signer(named)
    if key is None:
        raise EnvelopeSignatureError(
            f"找不到清单所列的投标人密钥（指纹 {named[:16]}…）",
            f"the bidder key named in the manifest is unknown (fingerprint {named[:16]}…)",
        )
    if key.fingerprint() != named:
        raise EnvelopeSignatureError(
            "所给公钥不是清单所列的投标人密钥",
            "the key given is not the bidder key named in the manifest",
        )
    return key


def _read_signature(reader: FramedReader) -> bytes:
    reader.observe = None
    size = reader.u16("签名长度", "signature length")
    if not 8 <= size <= MAX_SIGNATURE_SIZE:
        raise MalformedEnvelope(f"签名长度 {size} 不合理", f"absurd signature length {size}")
    signature = reader.exact(size, "签名", "signature")
    reader.expect_end()
    try:
        der.decode_signature(signature)
    except MalformedData as exc:
        raise EnvelopeSignatureError("签名格式错误", f"malformed signature ({exc})") from None
    return signature


def _check_signature(key: SM2PublicKey, message: SM3, signature: bytes) -> None:
    try:
        key.verify_digest_or_raise(message.digest(), signature)
    except InvalidSignature:
        raise EnvelopeSignatureError(
            "投标人签名无效（文件已被改动，或不是该密钥签的）",
            "the bidder's signature does not verify "
            "(the file was changed, or signed by another key)",
        ) from None


def verify(fileobj: BinaryIO, signer: Signer | None = None) -> VerifiedEnvelope:
    """Check structure, sizes and (given a key or a lookup) the signature in one pass.

    Without a signer only the structure is checked and ``signature_verified`` is False.
    Raises MalformedEnvelope or EnvelopeSignatureError with the reason.
    """
    header: list[bytes] = []
    reader = FramedReader(fileobj, header.append)
    manifest = _read_manifest(reader)
    key = _resolve_signer(signer, manifest)
    file_digest = SM3(b"".join(header))
    message = key.message_hasher() if key is not None else SM3()
    message.update(b"".join(header))
    with BackgroundConsumer(message.update if key is not None else _ignore) as hashing:

        def observe(block: bytes) -> None:
            file_digest.update(block)
            hashing.put(block)

        reader.observe = observe
        sheet = _read_sheet(reader, manifest)
        for index in range(manifest.body_chunks):
            reader.exact(_chunk_length(reader, manifest, index), *_chunk_names(index))
    signature = _read_signature(reader)
    file_digest.update(len(signature).to_bytes(2, "big") + signature)
    if key is not None:
        _check_signature(key, message, signature)
    return VerifiedEnvelope(
        manifest, sheet, signature, key is not None, file_digest.hexdigest(), reader.position
    )


def _ignore(block: Block) -> None:
    """Nothing to hash when no signer is given."""


def _chunk_names(index: int) -> tuple[str, str]:
    return f"第 {index + 1} 块密文", f"body chunk {index + 1}"


def _chunk_length(reader: FramedReader, manifest: Manifest, index: int) -> int:
    zh, en = _chunk_names(index)
    size = reader.u32(f"{zh}长度", f"{en} length")
    expect_length(size, manifest.chunk_plaintext_size(index) + TAG_SIZE, zh, en)
    return size


def unwrap_content_key(manifest: Manifest, private_key: SM2PrivateKey) -> bytes:
    """Decrypt the content key wrapped to ``private_key``, and check it is the bid's key."""
    fingerprint = private_key.public_key().fingerprint()
    entry = manifest.recipient(fingerprint)
    if entry is None:
        raise WrongContentKey(
            f"此密钥（指纹 {fingerprint[:16]}…）不是该投标文件的接收方，无法解密",
            f"this key (fingerprint {fingerprint[:16]}…) is not a recipient of this bid "
            "and cannot open it",
        )
    try:
        content_key = private_key.decrypt(entry.wrapped_key)
    except (DecryptionError, MalformedData):
        raise TamperedEnvelope(
            "封装给此密钥的内容密钥无法解密（文件已损坏）",
            "the content key wrapped to this key cannot be decrypted (the bid is damaged)",
        ) from None
    if not _commits(manifest, content_key):
        # Each recipient must get the same key, or the bid could read differently to each.
        raise TamperedEnvelope(
            "封装给此密钥的内容密钥与清单承诺值不符",
            "the content key wrapped to this key does not match the manifest's commitment",
        )
    return content_key


def _commits(manifest: Manifest, content_key: bytes) -> bool:
    return hmac.compare_digest(content_key_commitment(content_key), manifest.content_key_commitment)


def _wrong_key() -> WrongContentKey:
    return WrongContentKey("此密钥打不开该投标文件", "this key does not open this bid")


def open_sheet(source: BinaryIO | EnvelopeHeader, content_key: bytes) -> dict[str, Any]:
    """Decrypt and check the opening sheet (the price read out at the opening)."""
    header = source if isinstance(source, EnvelopeHeader) else read_header(source)
    manifest = header.manifest
    if len(content_key) != CONTENT_KEY_SIZE or not _commits(manifest, content_key):
        raise _wrong_key()
    nonce = sheet_nonce(manifest.body_nonce_prefix)
    try:
        plaintext = gcm_decrypt(content_key, nonce, header.sheet, aad(manifest.digest, SHEET_LABEL))
    except (DecryptionError, MalformedData):
        raise TamperedEnvelope(
            "开标一览表认证失败（已被篡改）", "the opening sheet failed authentication (modified)"
        ) from None
    return decode_sheet(plaintext)


def check_content_key(source: BinaryIO | EnvelopeHeader, content_key: bytes) -> bool:
    """True if ``content_key`` opens this bid, False if it does not. A right key on a
    damaged sheet raises TamperedEnvelope: that is not the key's fault."""
    try:
        open_sheet(source, content_key)
    except WrongContentKey:
        return False
    return True


class _BodyReader:
    """Decrypted body as a read-only stream for tarfile. Chunks are read from the file a few
    ahead and decrypted on the worker threads; a chunk's plaintext is released only after
    its tag has been checked, and in order, so nothing unauthenticated reaches the disk."""

    def __init__(
        self,
        reader: FramedReader,
        manifest: Manifest,
        key: bytes,
        progress: Progress | None,
        decrypting: OrderedWorkers[bytes],
    ) -> None:
        self._reader, self._manifest, self._key = reader, manifest, key
        self._aad = aad(manifest.digest, BODY_LABEL)
        self._progress = progress
        self._decrypting = decrypting
        self._chunk = b""
        self._offset = 0  # bytes of ``_chunk`` already handed out
        self._requested = 0  # chunks read from the file and given to the workers
        self.index = 0  # chunks decrypted and handed out
        self._done = 0

    def read(self, size: int = -1, /) -> bytes:
        while self._offset == len(self._chunk):
            if self.index == self._manifest.body_chunks:
                return b""
            self._chunk, self._offset = self._next_chunk(), 0
        start = self._offset
        if start == 0 and (size < 0 or size >= len(self._chunk)):
            self._offset = len(self._chunk)
            return self._chunk  # the whole chunk: no copy
        end = len(self._chunk) if size < 0 else min(len(self._chunk), start + size)
        self._offset = end
        return self._chunk[start:end]

    def _request_ahead(self) -> None:
        manifest = self._manifest
        while self._requested < manifest.body_chunks and not self._decrypting.full():
            index = self._requested
            data = self._reader.exact(
                _chunk_length(self._reader, manifest, index), *_chunk_names(index)
            )
            last = index == manifest.body_chunks - 1
            self._decrypting.submit(
                functools.partial(
                    decrypt_chunk,
                    self._key,
                    manifest.body_nonce_prefix,
                    index,
                    last,
                    self._aad,
                    data,
                )
            )
            self._requested += 1

    def _next_chunk(self) -> bytes:
        self._request_ahead()
        plaintext = self._decrypting.next_result()  # raises TamperedEnvelope for a bad tag
        self.index += 1
        self._done += len(plaintext)
        if self._progress is not None:
            self._progress(self._done, self._manifest.body_plaintext_size)
        self._request_ahead()  # keep the workers busy while tarfile writes this one out
        return plaintext

    def write(self, data: Block, /) -> int:
        raise OSError("read-only")

    def tell(self) -> int:
        return self._done - (len(self._chunk) - self._offset)

    def seek(self, pos: int, /) -> int:
        raise OSError("not seekable")

    def close(self) -> None:
        """Owned by unseal, not by tarfile."""


def _prepare_target(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UnsealTargetError(
            f"输出目录 {out_dir} 已存在且不为空",
            f"the output directory {out_dir} exists and is not empty",
        )
    if not out_dir.parent.is_dir():
        raise UnsealTargetError(
            f"输出目录的上级 {out_dir.parent} 不存在", f"the parent of {out_dir} does not exist"
        )


def unseal(
    fileobj: BinaryIO,
    content_key: bytes,
    out_dir: Path,
    *,
    signer: Signer | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Decrypt and extract the files into ``out_dir`` (missing or empty); return their paths.

    Files are extracted into a hidden sibling directory that is renamed to ``out_dir`` only
    when everything (every chunk, the archive, and the signature if ``signer`` is given)
    has checked out, so a failure leaves nothing behind.
    """
    out_dir = Path(out_dir).resolve()
    _prepare_target(out_dir)
    header: list[bytes] = []
    reader = FramedReader(fileobj, header.append)
    manifest = _read_manifest(reader)
    key = _resolve_signer(signer, manifest)
    message = key.message_hasher() if key is not None else SM3()
    message.update(b"".join(header))
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.unseal-", dir=out_dir.parent))
    try:
        workers = default_workers()
        with (
            BackgroundConsumer(message.update if key is not None else _ignore) as hashing,
            OrderedWorkers[bytes](workers, workers * _CHUNKS_PER_WORKER) as decrypting,
        ):
            reader.observe = hashing.put
            sheet = _read_sheet(reader, manifest)
            open_sheet(EnvelopeHeader(manifest, sheet), content_key)  # wrong key: say so first
            body = _BodyReader(reader, manifest, content_key, progress, decrypting)
            names = _extract(body, staging)
            if body.index != manifest.body_chunks:  # extraction drains the body; a guard
                raise TamperedEnvelope("密文块未读完", "the body was not read to its end")
        signature = _read_signature(reader)
        if key is not None:
            _check_signature(key, message, signature)
        if out_dir.exists():
            out_dir.rmdir()
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir.joinpath(*name.split("/")) for name in names]


def _extract(body: _BodyReader, staging: Path) -> list[str]:
    try:
        return extract_archive(body, staging)
    except tarfile.TarError as exc:
        raise UnsafeArchive(
            f"文件包已损坏（{exc}）", f"the archive inside is damaged ({exc})"
        ) from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UnsealTargetError(
            f"无法写出解密的文件（{reason}）", f"cannot write the decrypted files ({reason})"
        ) from None
