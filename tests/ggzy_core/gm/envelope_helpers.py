"""Helpers for the envelope tests: seal into bytes, and an independent reader/writer of the
framing written from docs/envelope.md alone (so the document is tested too)."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from accounts.credit_code import with_check_character
from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import ClientInfo, Recipient, SealResult, seal
from ggzy_core.gm.envelope.sealing import seal_body

CREDIT_CODE = with_check_character("91350100M000100Y4")
SHEET = {
    "price": "12345678.90",
    "duration_days": 180,
    "quality": "合格",
    "project_manager": "张三",
    "warranty_years": 5,
}
CLIENT = ClientInfo(
    machine_fingerprint="ab" * 32,
    mac_addresses=("00:16:3e:12:34:56",),
    file_creation_id="0f8fad5b-d9cb-469f-a165-70867728950e",
    tool_version="ggzy-bid test",
)


def seal_to_bytes(
    files: Sequence[Path],
    bidder: sm2.SM2PrivateKey,
    recipients: Sequence[Recipient],
    *,
    chunk_size: int = 1024,
    sheet: dict[str, Any] | None = None,
) -> tuple[bytes, SealResult]:
    out = io.BytesIO()
    result = seal(
        out=out,
        files=files,
        sheet=sheet or SHEET,
        section_id=42,
        section_code="GGZY-2026-0042-01",
        bidder_credit_code=CREDIT_CODE,
        signing_key=bidder,
        recipients=recipients,
        client=CLIENT,
        chunk_size=chunk_size,
    )
    return out.getvalue(), result


def seal_raw_body(
    body: bytes,
    bidder: sm2.SM2PrivateKey,
    recipients: Sequence[Recipient],
    *,
    chunk_size: int = 1024,
) -> bytes:
    """Seal any bytes as the body, as a hostile bidder's own tool could."""
    out = io.BytesIO()
    seal_body(
        out=out,
        body_size=len(body),
        write_body=lambda sink: sink.write(body),
        sheet=SHEET,
        section_id=42,
        section_code="GGZY-2026-0042-01",
        bidder_credit_code=CREDIT_CODE,
        signing_key=bidder,
        recipients=recipients,
        client=CLIENT,
        chunk_size=chunk_size,
    )
    return out.getvalue()


@dataclass(frozen=True)
class Parts:
    manifest: bytes
    sheet: bytes
    chunks: tuple[bytes, ...]
    signature: bytes

    def with_chunks(self, chunks: Sequence[bytes]) -> Parts:
        return replace(self, chunks=tuple(chunks))


def split_envelope(data: bytes, body_chunks: int) -> Parts:
    """Parse the layout of docs/envelope.md: magic, u32 parts, u32 chunks, u16 signature."""
    assert data[:8] == b"GGZYBID1"
    position = 8

    def take(size_format: str) -> bytes:
        nonlocal position
        (size,) = struct.unpack_from(size_format, data, position)
        position += struct.calcsize(size_format)
        part = data[position : position + size]
        position += size
        return part

    manifest, sheet = take(">I"), take(">I")
    chunks = tuple(take(">I") for _ in range(body_chunks))
    signature = take(">H")
    assert position == len(data)
    return Parts(manifest, sheet, chunks, signature)


def signed_prefix(parts: Parts) -> bytes:
    out = b"GGZYBID1"
    for part in (parts.manifest, parts.sheet, *parts.chunks):
        out += struct.pack(">I", len(part)) + part
    return out


def join_envelope(parts: Parts) -> bytes:
    return signed_prefix(parts) + struct.pack(">H", len(parts.signature)) + parts.signature


def resign(parts: Parts, key: sm2.SM2PrivateKey) -> Parts:
    """Sign the framed bytes as the format says: what a bidder re-signing a tampered file
    would do. Decryption must still catch whatever was changed."""
    return replace(parts, signature=key.sign(signed_prefix(parts)))
