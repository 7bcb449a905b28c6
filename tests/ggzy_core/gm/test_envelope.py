"""Sealed bids: round trips, the manifest, recipients, keys, the opening sheet, memory."""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    BIDDER_ROLE,
    OPENING_ROLE,
    MalformedEnvelope,
    Recipient,
    SealInputError,
    TamperedEnvelope,
    WrongContentKey,
    check_content_key,
    derive_file_creation_id,
    open_sheet,
    read_header,
    read_manifest,
    unseal,
    unwrap_content_key,
    verify,
)
from ggzy_core.gm.envelope.manifest import canonical_json
from ggzy_core.gm.sm3 import sm3_hex
from tests.ggzy_core.gm.envelope_helpers import (
    CREDIT_CODE,
    SHEET,
    join_envelope,
    resign,
    seal_to_bytes,
    signed_prefix,
    split_envelope,
)
from tests.ggzy_core.gm.helpers import openssl, openssl_status, requires_openssl

REPO = Path(__file__).resolve().parents[3]  # the checkout: tests/ggzy_core/gm/ is three levels down


@pytest.fixture(scope="module")
def bidder() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def opening() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture
def bid_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "投标文件"
    (folder / "技术标").mkdir(parents=True)
    (folder / "技术标" / "施工组织设计.pdf").write_bytes(os.urandom(10_000))
    (folder / "commercial.pdf").write_bytes(b"%PDF-1.7 commercial proposal " * 300)
    (folder / "empty.txt").write_bytes(b"")
    return folder


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_sealed_bid_round_trips_for_the_bidder_and_for_the_opening_key(
    tmp_path: Path, bid_folder: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    data, result = seal_to_bytes(
        [bid_folder], bidder, [Recipient(OPENING_ROLE, opening.public_key())], chunk_size=1024
    )
    assert result.manifest.body_chunks > 10  # a multi-chunk body
    verified = verify(io.BytesIO(data), bidder.public_key())
    assert verified.signature_verified
    assert verified.sm3 == result.sm3 == sm3_hex(data)
    assert verified.size == result.size == len(data)
    for holder, name in ((bidder, "bidder"), (opening, "opening")):
        content_key = unwrap_content_key(verified.manifest, holder)
        assert open_sheet(verified.header, content_key) == {**SHEET, "price": "12345678.90"}
        out = tmp_path / f"out-{name}"
        paths = unseal(io.BytesIO(data), content_key, out, signer=bidder.public_key())
        assert sorted(p.relative_to(out).as_posix() for p in paths) == sorted(
            f"投标文件/{name}" for name in _tree(bid_folder)
        )
        assert _tree(out / "投标文件") == _tree(bid_folder)


def test_the_manifest_is_canonical_and_holds_neither_file_names_nor_the_price(
    bid_folder: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    _data, result = seal_to_bytes(
        [bid_folder], bidder, [Recipient("opening", opening.public_key())]
    )
    raw = result.manifest.raw
    assert canonical_json(json.loads(raw)) == raw
    text = raw.decode("utf-8")
    for secret in ("施工组织设计", "commercial", "empty.txt", "12345678", "张三"):
        assert secret not in text
    document = result.manifest.to_dict()
    assert document["format"] == "ggzy-bid/1"
    assert document["section"] == {"id": 42, "code": "GGZY-2026-0042-01"}
    assert document["bidder"]["key_fingerprint"] == bidder.public_key().fingerprint()
    assert document["algorithms"]["chunk_size"] == 1024
    assert document["body_chunks"] == result.manifest.body_chunks
    assert document["created_at"].endswith("Z")


def test_the_bidder_key_is_added_as_a_recipient_when_the_caller_leaves_it_out(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    _, result = seal_to_bytes(
        [tmp_path / "a.txt"], bidder, [Recipient("opening", opening.public_key())]
    )
    roles = {r.role: r.key_fingerprint for r in result.manifest.recipients}
    assert roles == {
        BIDDER_ROLE: bidder.public_key().fingerprint(),
        OPENING_ROLE: opening.public_key().fingerprint(),
    }


def test_a_chinese_file_name_and_an_empty_file_alone_round_trip(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "报价单（最终版）.xlsx").write_bytes(b"\x00\x01" * 5000)
    (tmp_path / "空.txt").write_bytes(b"")
    files = [tmp_path / "报价单（最终版）.xlsx", tmp_path / "空.txt"]
    data, result = seal_to_bytes(files, bidder, [], chunk_size=1 << 20)
    assert result.manifest.body_chunks == 1
    key = unwrap_content_key(read_manifest(io.BytesIO(data)), bidder)
    paths = unseal(io.BytesIO(data), key, tmp_path / "out")
    assert [p.name for p in paths] == ["报价单（最终版）.xlsx", "空.txt"]
    assert [p.read_bytes() for p in paths] == [f.read_bytes() for f in files]


def test_verify_with_a_lookup_checks_the_key_named_in_the_manifest(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    data, _ = seal_to_bytes([tmp_path / "a.txt"], bidder, [])
    asked: list[str] = []

    def lookup(fingerprint: str) -> sm2.SM2PublicKey | None:
        asked.append(fingerprint)
        return bidder.public_key()

    assert verify(io.BytesIO(data), lookup).signature_verified
    assert asked == [bidder.public_key().fingerprint()]
    with pytest.raises(Exception, match="bidder key named in the manifest is unknown"):
        verify(io.BytesIO(data), lambda fingerprint: None)


def test_verify_refuses_a_key_other_than_the_bidder_s_and_says_so(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    data, _ = seal_to_bytes([tmp_path / "a.txt"], bidder, [])
    with pytest.raises(Exception, match="not the bidder key named in the manifest"):
        verify(io.BytesIO(data), opening.public_key())
    assert not verify(io.BytesIO(data)).signature_verified  # structure only, said plainly


def test_a_key_that_is_not_a_recipient_gets_a_clear_error(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    _data, result = seal_to_bytes([tmp_path / "a.txt"], bidder, [])
    with pytest.raises(WrongContentKey) as caught:
        unwrap_content_key(result.manifest, opening)
    assert "不是该投标文件的接收方" in str(caught.value)
    assert "is not a recipient of this bid" in str(caught.value)


def test_a_wrong_content_key_does_not_open_the_sheet_and_the_check_says_false(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    data, result = seal_to_bytes([tmp_path / "a.txt"], bidder, [])
    header = read_header(io.BytesIO(data))
    right = unwrap_content_key(result.manifest, bidder)
    wrong = bytes(16)
    with pytest.raises(WrongContentKey, match="this key does not open this bid"):
        open_sheet(header, wrong)
    assert check_content_key(io.BytesIO(data), right) is True
    assert check_content_key(header, wrong) is False
    with pytest.raises(WrongContentKey):
        unseal(io.BytesIO(data), wrong, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_each_recipient_must_unwrap_the_same_content_key(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    """GCM is not key-committing: a bid giving the opening key a different content key
    could decrypt to a different price for it. The manifest's commitment stops that."""
    (tmp_path / "a.txt").write_text("a")
    data, result = seal_to_bytes(
        [tmp_path / "a.txt"], bidder, [Recipient("opening", opening.public_key())]
    )
    document = result.manifest.to_dict()
    for entry in document["recipients"]:
        if entry["role"] == "opening":
            entry["wrapped_key"] = base64.b64encode(
                opening.public_key().encrypt(os.urandom(16))
            ).decode()
    parts = split_envelope(data, result.manifest.body_chunks)
    forged = join_envelope(resign(replace(parts, manifest=canonical_json(document)), bidder))
    manifest = verify(io.BytesIO(forged), bidder.public_key()).manifest
    unwrap_content_key(manifest, bidder)  # the bidder's own entry is still fine
    with pytest.raises(TamperedEnvelope, match="commitment"):
        unwrap_content_key(manifest, opening)


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        (12345678.9, "not a float"),
        ("-1.00", "positive decimal"),
        ("0", "greater than zero"),
        ("1.234", "at most 2 decimal places"),
        ("1e6", "no spaces, signs, commas or exponents"),
        ("1,000.00", "no spaces, signs, commas or exponents"),
        (" 100", "no spaces"),
    ],
)
def test_sealing_refuses_a_price_that_is_not_a_positive_amount_in_fen(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, price: object, reason: str
) -> None:
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(SealInputError, match=reason):
        seal_to_bytes([tmp_path / "a.txt"], bidder, [], sheet={"price": price})


@pytest.mark.parametrize(("price", "sealed"), [("100", "100.00"), ("0.5", "0.50"), (7, "7.00")])
def test_the_price_is_sealed_with_exactly_two_decimals(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, price: object, sealed: str
) -> None:
    (tmp_path / "a.txt").write_text("a")
    data, result = seal_to_bytes([tmp_path / "a.txt"], bidder, [], sheet={"price": price})
    key = unwrap_content_key(result.manifest, bidder)
    assert open_sheet(io.BytesIO(data), key)["price"] == sealed


def test_sealing_refuses_a_sheet_without_a_price_and_a_bad_duration(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(SealInputError, match="price is missing"):
        seal_to_bytes([tmp_path / "a.txt"], bidder, [], sheet={"quality": "合格"})
    with pytest.raises(SealInputError, match="duration_days must be a positive integer"):
        seal_to_bytes([tmp_path / "a.txt"], bidder, [], sheet={"price": "1", "duration_days": 0})


def test_a_recipient_role_outside_the_format_is_refused_when_sealing(
    tmp_path: Path, bidder: sm2.SM2PrivateKey, opening: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(SealInputError, match="invalid recipient role 'Opening Key'"):
        seal_to_bytes(
            [tmp_path / "a.txt"], bidder, [Recipient("Opening Key", opening.public_key())]
        )


def test_two_files_with_one_name_are_refused_rather_than_one_lost(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.pdf").write_text(folder)
    with pytest.raises(SealInputError, match=r"two files have the same name: same\.pdf"):
        seal_to_bytes([tmp_path / "a" / "same.pdf", tmp_path / "b" / "same.pdf"], bidder, [])


def test_the_derived_file_creation_id_is_stable_and_changes_with_the_files(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"one")
    first = derive_file_creation_id([path])
    assert derive_file_creation_id([path]) == first
    path.write_bytes(b"other content")
    assert derive_file_creation_id([path]) != first


def test_a_manifest_with_an_invalid_credit_code_is_refused_when_sealing(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    from ggzy_core.gm.envelope import seal

    wrong_check = CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1")
    with pytest.raises(SealInputError, match="invalid unified social credit code"):
        seal(
            out=io.BytesIO(),
            files=[tmp_path / "a.txt"],
            sheet=SHEET,
            section_id=1,
            section_code="S",
            bidder_credit_code=wrong_check,
            signing_key=bidder,
            recipients=[],
        )


def test_reading_a_manifest_reads_only_the_header(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.bin").write_bytes(os.urandom(50_000))
    data, result = seal_to_bytes([tmp_path / "a.bin"], bidder, [])
    stream = io.BytesIO(data)
    assert read_manifest(stream) == result.manifest
    assert stream.tell() == 8 + 4 + len(result.manifest.raw)
    with pytest.raises(MalformedEnvelope, match="truncated bid"):
        read_manifest(io.BytesIO(data[:100]))


_MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from accounts.credit_code import with_check_character
from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import Recipient, seal

key, opening = sm2.generate_private_key(), sm2.generate_private_key().public_key()

def run(source, target):
    with open(target, "wb") as out:
        seal(out=out, files=[Path(source)], sheet={"price": "1.00"}, section_id=1,
             section_code="S", bidder_credit_code=with_check_character("91350100M000100Y4"),
             signing_key=key, recipients=[Recipient("opening", opening)])

run(sys.argv[1], sys.argv[3])  # warm up: imports, tables, the worker thread, buffers
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(sys.argv[2], sys.argv[3])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_sealing_64_mib_keeps_peak_memory_growth_small(tmp_path: Path) -> None:
    small, big, out = tmp_path / "small.bin", tmp_path / "big.bin", tmp_path / "out.gbid"
    small.write_bytes(os.urandom(3 << 20))
    with big.open("wb") as handle:
        for _ in range(64):
            handle.write(os.urandom(1 << 20))
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_MEMORY_SCRIPT), str(small), str(big), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    growth_kib = int(result.stdout.strip())
    assert out.stat().st_size > 64 << 20  # it really sealed the big file
    assert growth_kib * 1024 < 32 << 20, f"peak RSS grew by {growth_kib} KiB"


@requires_openssl
@pytest.mark.openssl
def test_an_independent_reader_following_docs_envelope_md_opens_a_bid(
    tmp_path: Path, bid_folder: Path, bidder: sm2.SM2PrivateKey
) -> None:
    """openssl verifies the signature and unwraps the key; `cryptography` decrypts SM4-GCM
    with the nonces and AAD the document gives; tarfile reads the body. No ggzy_core.gm code."""
    data, result = seal_to_bytes([bid_folder], bidder, [], chunk_size=4096)
    parts = split_envelope(data, result.manifest.body_chunks)
    signed = tmp_path / "signed.bin"
    signed.write_bytes(signed_prefix(parts))
    (tmp_path / "sig.der").write_bytes(parts.signature)
    (tmp_path / "pub.pem").write_bytes(bidder.public_key().to_pem())
    (tmp_path / "key.pem").write_bytes(bidder.to_pem())
    status, output = openssl_status(
        "dgst", "-sm3", "-verify", tmp_path / "pub.pem", "-signature", tmp_path / "sig.der",
        "-sigopt", "distid:1234567812345678", signed,
    )  # fmt: skip
    assert status == 0, output
    manifest = json.loads(parts.manifest)
    (tmp_path / "wrapped.der").write_bytes(
        base64.b64decode(manifest["recipients"][0]["wrapped_key"])
    )
    content_key = openssl(
        "pkeyutl", "-decrypt", "-inkey", tmp_path / "key.pem", "-in", tmp_path / "wrapped.der"
    )
    hasher = hashes.Hash(hashes.SM3())
    hasher.update(parts.manifest)
    manifest_hash = hasher.finalize()
    prefix = bytes.fromhex(manifest["body_nonce_prefix"])

    def gcm_open(nonce: bytes, aad: bytes, sealed: bytes) -> bytes:
        decryptor = Cipher(algorithms.SM4(content_key), modes.GCM(nonce, sealed[-16:])).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(sealed[:-16]) + decryptor.finalize()

    sheet = gcm_open(prefix + b"\xff\xff\xff\xff\x02", manifest_hash + b"sheet", parts.sheet)
    assert json.loads(sheet)["price"] == "12345678.90"
    last = len(parts.chunks) - 1
    body = b"".join(
        gcm_open(prefix + struct.pack(">IB", i, i == last), manifest_hash + b"body", chunk)
        for i, chunk in enumerate(parts.chunks)
    )
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        names = {m.name: archive.extractfile(m).read() for m in archive if m.isreg()}  # type: ignore[union-attr]
    assert names == {f"投标文件/{k}": v for k, v in _tree(bid_folder).items()}


def test_the_sheet_is_padded_so_its_size_does_not_tell_the_price_s_digits(
    tmp_path: Path, bidder: sm2.SM2PrivateKey
) -> None:
    (tmp_path / "a.txt").write_text("a")
    sizes = {
        seal_to_bytes([tmp_path / "a.txt"], bidder, [], sheet={"price": price})[
            1
        ].manifest.sheet_size
        for price in ("1.00", "999999999999.99")
    }
    assert sizes == {1024 + 16}
