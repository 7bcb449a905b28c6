"""Sealed bids: what is not a bid, a strict manifest, tampering, STREAM, hostile archives."""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    EnvelopeSignatureError,
    MalformedEnvelope,
    Recipient,
    TamperedEnvelope,
    UnsafeArchive,
    UnsealTargetError,
    open_sheet,
    read_header,
    read_manifest,
    unseal,
    unwrap_content_key,
    verify,
)
from ggzy_core.gm.envelope.framing import chunk_nonce, decrypt_chunk, encrypt_part
from ggzy_core.gm.envelope.manifest import canonical_json
from ggzy_core.gm.errors import GMError
from tests.ggzy_core.gm.envelope_helpers import (
    Parts,
    join_envelope,
    resign,
    seal_raw_body,
    seal_to_bytes,
    split_envelope,
)


@pytest.fixture(scope="module")
def bidder() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def sealed(
    tmp_path_factory: pytest.TempPathFactory, bidder: sm2.SM2PrivateKey
) -> tuple[bytes, int]:
    """A bid of 10 chunks of 1 KiB (a 6000-byte file in a 10240-byte tar), and that count."""
    folder = tmp_path_factory.mktemp("bid")
    (folder / "proposal.pdf").write_bytes(os.urandom(6000))
    data, result = seal_to_bytes([folder / "proposal.pdf"], bidder, [], chunk_size=1024)
    return data, result.manifest.body_chunks


def _key(data: bytes, bidder: sm2.SM2PrivateKey) -> bytes:
    return unwrap_content_key(read_manifest(io.BytesIO(data)), bidder)


# --- not a sealed bid --------------------------------------------------------------------


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("bid.pdf", b"%PDF-1.4")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "unencrypted PDF file"),
        (_zip_bytes(), "unencrypted ZIP/Office file"),
        (b"", "empty file"),
        (b"GGZYBID", "bad magic"),
        (os.urandom(200), "bad magic"),
    ],
)
def test_a_file_that_is_not_a_sealed_bid_is_refused_saying_so(content: bytes, kind: str) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        verify(io.BytesIO(content))
    message = str(caught.value)
    assert message.startswith("不是加密投标文件")
    assert "not a sealed ggzy bid" in message
    assert kind in message


# --- a strict manifest -------------------------------------------------------------------


def _with_manifest(raw: bytes) -> io.BytesIO:
    return io.BytesIO(b"GGZYBID1" + struct.pack(">I", len(raw)) + raw)


def _document(sealed: tuple[bytes, int]) -> dict[str, object]:
    value: dict[str, object] = read_manifest(io.BytesIO(sealed[0])).to_dict()
    return value


def test_a_valid_manifest_reframed_alone_is_read_back(sealed: tuple[bytes, int]) -> None:
    raw = canonical_json(_document(sealed))
    assert read_manifest(_with_manifest(raw)).raw == raw  # the control for the tests below


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(format="ggzy-bid/2"), "unsupported format 'ggzy-bid/2'"),
        (lambda d: d.pop("sheet_size"), "missing field manifest.sheet_size"),
        (lambda d: d.update(extra=1), "unknown field manifest.extra"),
        (lambda d: d["section"].update(id="42"), "section.id must be an integer"),
        (lambda d: d.update(body_chunks=d["body_chunks"] + 1), "body_chunks does not match"),
        (lambda d: d["algorithms"].update(cipher="AES-GCM"), "unsupported algorithms.cipher"),
        (lambda d: d["algorithms"].update(chunk_size=1 << 30), "algorithms.chunk_size is outside"),
        (lambda d: d.update(recipients=[]), "recipients must have 1–16 items"),
        (lambda d: d["bidder"].update(credit_code="91350100M000100Y40"), "not a valid credit"),
    ],
)
def test_a_manifest_that_breaks_a_rule_is_refused_naming_the_rule(
    sealed: tuple[bytes, int], change: object, reason: str
) -> None:
    document = _document(sealed)
    change(document)  # type: ignore[operator]
    with pytest.raises(MalformedEnvelope, match="invalid bid manifest") as caught:
        read_manifest(_with_manifest(canonical_json(document)))
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"format": "ggzy-bid/1"}', "not in canonical form"),
        (b'{"format":"ggzy-bid/1",', "not valid JSON"),
        (b'{"a":1.5}', "non-integer number"),
        (b'{"a":1,"a":2}', "field 'a' appears twice"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1]", "the top level must be an object"),
    ],
)
def test_a_manifest_that_is_not_canonical_json_is_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedEnvelope, match="invalid bid manifest") as caught:
        read_manifest(_with_manifest(raw))
    assert reason in str(caught.value)


def test_an_absurd_manifest_length_is_refused_before_reading_it() -> None:
    with pytest.raises(MalformedEnvelope, match="absurd manifest length 4294967295"):
        read_manifest(io.BytesIO(b"GGZYBID1\xff\xff\xff\xff"))


# --- tampering ---------------------------------------------------------------------------


def _regions(data: bytes, chunks: int) -> dict[str, int]:
    parts = split_envelope(data, chunks)
    manifest_at = 12
    sheet_at = manifest_at + len(parts.manifest) + 4
    first_chunk_at = sheet_at + len(parts.sheet) + 4
    last_chunk_at = len(data) - 2 - len(parts.signature) - len(parts.chunks[-1])
    return {
        "magic": 3,
        "manifest length": 10,
        "manifest": manifest_at + parts.manifest.index(b'"id":42') + 5,  # still valid JSON
        "sheet": sheet_at + 5,
        "first chunk length": first_chunk_at - 2,
        "first chunk": first_chunk_at + 100,
        "first chunk tag": first_chunk_at + len(parts.chunks[0]) - 1,
        "last chunk": last_chunk_at + 3,
        "signature": len(data) - 10,
        "signature length": len(data) - len(parts.signature) - 1,
    }


@pytest.mark.parametrize(
    "region",
    [
        "magic",
        "manifest length",
        "manifest",
        "sheet",
        "first chunk length",
        "first chunk",
        "first chunk tag",
        "last chunk",
        "signature",
        "signature length",
    ],
)
def test_changing_any_byte_is_detected_by_verification(
    sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey, region: str
) -> None:
    data, chunks = sealed
    position = _regions(data, chunks)[region]
    tampered = bytearray(data)
    tampered[position] ^= 0x01
    with pytest.raises((MalformedEnvelope, EnvelopeSignatureError)):
        verify(io.BytesIO(bytes(tampered)), bidder.public_key())


def test_every_sampled_byte_of_the_file_is_covered_by_verification(
    sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, _ = sealed
    for position in range(0, len(data), max(1, len(data) // 40)):
        tampered = bytearray(data)
        tampered[position] ^= 0x80
        with pytest.raises(GMError):
            verify(io.BytesIO(bytes(tampered)), bidder.public_key())


def test_a_changed_sheet_or_chunk_fails_decryption_even_when_re_signed(
    tmp_path: Path, sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, chunks = sealed
    key = _key(data, bidder)
    parts = split_envelope(data, chunks)
    sheet = bytearray(parts.sheet)
    sheet[0] ^= 1
    forged = Parts(parts.manifest, bytes(sheet), parts.chunks, parts.signature)
    with pytest.raises(TamperedEnvelope, match="opening sheet failed authentication"):
        open_sheet(read_header(io.BytesIO(join_envelope(resign(forged, bidder)))), key)
    chunk = bytearray(parts.chunks[2])
    chunk[10] ^= 1
    forged = parts.with_chunks([*parts.chunks[:2], bytes(chunk), *parts.chunks[3:]])
    with pytest.raises(TamperedEnvelope, match="body chunk 3 failed authentication"):
        unseal(io.BytesIO(join_envelope(resign(forged, bidder))), key, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_dropping_the_last_chunk_is_detected(
    tmp_path: Path, sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, chunks = sealed
    parts = split_envelope(data, chunks)
    shorter = join_envelope(resign(parts.with_chunks(parts.chunks[:-1]), bidder))
    with pytest.raises(MalformedEnvelope, match=f"body chunk {chunks} is .* the manifest says"):
        verify(io.BytesIO(shorter), bidder.public_key())
    with pytest.raises(MalformedEnvelope):
        unseal(io.BytesIO(shorter), _key(data, bidder), tmp_path / "out")


def test_truncating_the_file_anywhere_is_detected(
    sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, _ = sealed
    for cut in (20, len(data) // 2, len(data) - 80, len(data) - 1):
        with pytest.raises(MalformedEnvelope, match="truncated bid"):
            verify(io.BytesIO(data[:cut]), bidder.public_key())


def test_swapping_two_chunks_is_detected(
    tmp_path: Path, sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, chunks = sealed
    parts = split_envelope(data, chunks)
    swapped = list(parts.chunks)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    with pytest.raises(EnvelopeSignatureError):
        verify(io.BytesIO(join_envelope(parts.with_chunks(swapped))), bidder.public_key())
    re_signed = join_envelope(resign(parts.with_chunks(swapped), bidder))
    verify(io.BytesIO(re_signed), bidder.public_key())  # framing and signature now fine ...
    with pytest.raises(TamperedEnvelope, match="body chunk 2"):  # ... the nonces are not
        unseal(io.BytesIO(re_signed), _key(data, bidder), tmp_path / "out")


def test_appending_a_chunk_or_any_data_is_detected(
    sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, chunks = sealed
    parts = split_envelope(data, chunks)
    longer = join_envelope(resign(parts.with_chunks([*parts.chunks, parts.chunks[-1]]), bidder))
    with pytest.raises(GMError):
        verify(io.BytesIO(longer), bidder.public_key())
    with pytest.raises(MalformedEnvelope, match="unexpected data after the signature"):
        verify(io.BytesIO(data + b"\x00"), bidder.public_key())


def test_stream_nonces_bind_each_chunk_to_its_position_and_finality() -> None:
    key, prefix, aad = os.urandom(16), os.urandom(7), os.urandom(36)
    middle = encrypt_part(key, chunk_nonce(prefix, 3, False), aad, b"middle chunk")
    last = encrypt_part(key, chunk_nonce(prefix, 4, True), aad, b"last chunk")
    assert decrypt_chunk(key, prefix, 3, False, aad, middle) == b"middle chunk"
    assert decrypt_chunk(key, prefix, 4, True, aad, last) == b"last chunk"
    for index, final, sealed_chunk in ((3, True, middle), (4, False, last), (2, False, middle)):
        with pytest.raises(TamperedEnvelope):  # truncation, extension, reordering
            decrypt_chunk(key, prefix, index, final, aad, sealed_chunk)


# --- hostile archives inside validly sealed envelopes ------------------------------------


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, content in members:
            info.size = len(content) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return out.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (_member("../escaped.txt"), "unsafe path in the archive"),
        (_member("docs/../../escaped.txt"), "unsafe path in the archive"),
        (_member("/tmp/escaped.txt"), "unsafe path in the archive"),
        (_member("escaped-link", tarfile.SYMTYPE, "/etc/passwd"), "a symbolic link"),
        (_member("hard", tarfile.LNKTYPE, "ok.txt"), "a hard link"),
        (_member("dev", tarfile.CHRTYPE), "a character device"),
        (_member("fifo", tarfile.FIFOTYPE), "a FIFO"),
    ],
)
def test_unseal_refuses_a_hostile_archive_and_writes_nothing(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, member: tarfile.TarInfo, reason: str
) -> None:
    body = _tar((_member("ok.txt"), b"fine"), (member, b"payload"))
    data = seal_raw_body(body, bidder, [])
    verify(io.BytesIO(data), bidder.public_key())  # the envelope itself is valid
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(UnsafeArchive, match=reason):
        unseal(io.BytesIO(data), _key(data, bidder), work / "out")
    assert list(work.iterdir()) == []  # no output, no staging directory left
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/escaped.txt").exists()


def test_unseal_refuses_data_hidden_after_the_end_of_the_archive(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    body = _tar((_member("ok.txt"), b"fine")) + b"hidden price list" + bytes(495)
    data = seal_raw_body(body, bidder, [])
    with pytest.raises(UnsafeArchive, match="data after its end marker"):
        unseal(io.BytesIO(data), _key(data, bidder), tmp_path / "out")


def test_unseal_refuses_an_output_directory_that_is_not_empty(
    tmp_path: Path, sealed: tuple[bytes, int], bidder: sm2.SM2PrivateKey
) -> None:
    data, _ = sealed
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("keep")
    with pytest.raises(UnsealTargetError, match="exists and is not empty"):
        unseal(io.BytesIO(data), _key(data, bidder), tmp_path / "out")
    assert (tmp_path / "out" / "precious.txt").read_text() == "keep"


def test_a_bid_for_several_recipients_opens_for_each(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    holders = [sm2.generate_private_key() for _ in range(3)]
    (tmp_path / "a.txt").write_text("a")
    recipients = [Recipient(f"holder{i}", h.public_key()) for i, h in enumerate(holders)]
    _data, result = seal_to_bytes([tmp_path / "a.txt"], bidder, recipients)
    keys = {unwrap_content_key(result.manifest, holder) for holder in [bidder, *holders]}
    assert len(keys) == 1
    assert json.loads(result.manifest.raw)["recipients"][0]["role"] == "bidder"
