"""The archive verifier on packages made here, without Django: a good one verifies, and each
kind of tampering is refused with its own reason."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ggzy_core import archive
from ggzy_core import ledger_chain as chain
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex

KEY = sm2.generate_private_key()
OTHER_KEY = sm2.generate_private_key()
DOMAIN = b"ggzy-opening-record\n"


def _chain(count: int) -> list[dict[str, Any]]:
    records, previous = [], chain.GENESIS_HASH
    for sequence in range(1, count + 1):
        record = {
            "sequence": sequence,
            "recorded_at": f"2026-12-01T0{sequence % 10}:00:00.000000+00:00",
            "actor": {"person_id": 1, "name": "host", "organisation": "", "role": "staff"},
            "network_address": None,
            "action": "realtime.record.signed" if sequence == 2 else "trading.section.opening",
            "target": {"type": "trading.section", "id": "7"},
            "data": {"record_sm3": sm3_hex(b'{"format":"x"}')}
            if sequence == 2
            else {"n": sequence},
            "embargo": None,
            "previous_hash": previous,
        }
        record["entry_hash"] = previous = chain.entry_hash(record)
        records.append(record)
    return records


def _package(
    key: sm2.SM2PrivateKey = KEY,
    *,
    lines: list[dict[str, Any]] | None = None,
    record_json: bytes = b'{"format":"x"}',
) -> bytes:
    records = _chain(4)
    if lines is None:
        # Entries 1-3 before the first hidden entry: full; entry 4 after it: content only.
        lines = [archive.slice_line(record, full=record["sequence"] < 4) for record in records]
    point = {
        "sequence": 2,
        "entry_hash": records[1]["entry_hash"],
        "signed_at": "2026-12-01T03:00:00.000000+00:00",
        "key_fingerprint": key.public_key().fingerprint(),
    }
    message = chain.checkpoint_message(
        sequence=2, entry_hash=point["entry_hash"], signed_at=point["signed_at"]
    )
    point["signature"] = key.sign(message).hex()
    documents = [
        archive.Document("section/announcement.json", "announcement", b'{"a":1}'),
        archive.Document(
            "opening/opening-record.json",
            "opening-record",
            record_json,
            domain=DOMAIN,
            signature=key.sign(DOMAIN + record_json),
            ledger=archive.Binding(1, "record_sm3"),
        ),
        archive.Document("opening/opening-record.pdf", "opening-record-pdf", b"%PDF-1.4 ..."),
    ]
    return archive.pack(
        section={"code": "S-1", "name": "a section", "status": "failed"},
        sealed_at="2026-12-08T00:00:00.000000+00:00",
        retain_until="2041-12-08",
        documents=documents,
        entries=lines,
        checkpoints=[point],
        public_key=key.public_key(),
        sign=key.sign,
    )


def _files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def _rezip(files: dict[str, bytes]) -> bytes:
    return archive.write_zip(files)


def _verify(data: bytes, key: sm2.SM2PrivateKey | None = KEY) -> archive.Verdict:
    return archive.verify(data, pinned_key=key.public_key() if key else None)


def test_a_good_archive_verifies_with_the_pinned_key() -> None:
    verdict = _verify(_package())
    assert verdict.ok, verdict.reason
    assert (verdict.section, verdict.signed, verdict.bound) == ("S-1", 1, 1)
    assert (verdict.entries, verdict.full_records, verdict.checkpoints) == (4, 3, 1)


def test_the_same_files_make_the_same_zip() -> None:
    files = _files(_package())
    assert archive.write_zip(files) == archive.write_zip(dict(reversed(files.items())))


def test_without_a_pinned_key_the_included_one_is_used_and_the_report_says_so() -> None:
    verdict = _verify(_package(), key=None)
    out = io.StringIO()
    assert archive.report(verdict, out) == 0
    assert "pin an independently obtained key" in out.getvalue()
    assert KEY.public_key().fingerprint() in out.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "section/announcement.json",
        "opening/opening-record.json",
        "opening/opening-record.pdf",
        "ledger/entries.jsonl",
        "platform-key.pem",
    ],
)
def test_one_changed_byte_in_any_file_is_refused(path: str) -> None:
    files = _files(_package())
    changed = bytearray(files[path])
    changed[len(changed) // 2] ^= 0x01
    files[path] = bytes(changed)
    verdict = _verify(_rezip(files))
    assert not verdict.ok
    assert f"{path} was changed" in verdict.reason


def test_a_changed_byte_in_the_manifest_breaks_its_signature() -> None:
    files = _files(_package())
    files["manifest.json"] = files["manifest.json"].replace(b"a section", b"b section")
    assert "manifest's signature is invalid" in _verify(_rezip(files)).reason


def test_a_missing_document_is_refused() -> None:
    files = _files(_package())
    del files["opening/opening-record.pdf"]
    assert "opening/opening-record.pdf is missing" in _verify(_rezip(files)).reason


def test_an_extra_file_is_refused() -> None:
    files = _files(_package())
    files["evaluation/extra.json"] = b"{}"
    assert "evaluation/extra.json is not in the manifest" in _verify(_rezip(files)).reason


def test_re_ordered_ledger_lines_are_refused() -> None:
    files = _files(_package())
    lines = files["ledger/entries.jsonl"].splitlines(keepends=True)
    files["ledger/entries.jsonl"] = b"".join([lines[1], lines[0], *lines[2:]])
    assert "ledger/entries.jsonl was changed" in _verify(_rezip(files)).reason


def test_re_ordered_ledger_lines_are_refused_even_under_a_re_signed_manifest() -> None:
    """Whoever holds the key and re-signs the file list still cannot re-order the slice the
    manifest lists by content digest."""
    records = _chain(4)
    lines = [archive.slice_line(record, full=record["sequence"] < 4) for record in records]
    lines[0], lines[1] = lines[1], lines[0]
    files = _files(_package(lines=lines))
    manifest = json.loads(files["manifest.json"])
    manifest["ledger"]["content_sm3"] = [archive.content_sm3(record) for record in records]
    files["manifest.json"] = canonical(manifest)
    files["manifest.sig"] = KEY.sign(archive.MANIFEST_DOMAIN + files["manifest.json"])
    assert "ledger line 1 differs from the manifest in content or order" in (
        _verify(_rezip(files)).reason
    )


def test_full_records_out_of_chain_order_are_refused() -> None:
    records = _chain(4)
    lines = [archive.slice_line(record, full=True) for record in records]
    lines[1], lines[2] = lines[2], lines[1]
    verdict = _verify(_package(lines=lines))
    assert "ledger line 3 is out of chain order" in verdict.reason


def test_a_forged_manifest_signed_by_another_key_is_refused_with_the_key_pinned() -> None:
    forged = _package(OTHER_KEY)
    assert _verify(forged, key=None).ok  # self-consistent with its own included key
    assert "names another signing key" in _verify(forged, key=KEY).reason


def test_a_document_whose_digest_differs_from_the_ledger_is_refused() -> None:
    """Signed by the platform, but not the record the ledger says was signed."""
    verdict = _verify(_package(record_json=b'{"format":"y"}'))
    assert "differs from the one the ledger recorded" in verdict.reason


def test_not_a_zip_is_unreadable() -> None:
    with pytest.raises(archive.Unreadable):
        archive.verify(b"not a zip")


def test_the_command_line_exits_0_1_and_2(tmp_path: Path) -> None:
    good, bad, junk, key = (tmp_path / name for name in ("good.zip", "bad.zip", "junk", "k.pem"))
    good.write_bytes(_package())
    files = _files(_package())
    del files["opening/opening-record.pdf"]
    bad.write_bytes(_rezip(files))
    junk.write_bytes(b"junk")
    key.write_bytes(KEY.public_key().to_pem())

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ggzy_core.archive", str(path), "--public-key", str(key)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    assert run(good).returncode == 0
    refused = run(bad)
    assert refused.returncode == 1
    assert "缺少文件 opening/opening-record.pdf" in refused.stdout
    assert run(junk).returncode == 2
