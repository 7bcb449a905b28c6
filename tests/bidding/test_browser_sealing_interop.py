"""Sealing in the browser (static/js/seal-core.js over the vendored sm-crypto-v2 and hash-wasm),
run under Node against ggzy_core: an envelope the page seals is a ``ggzy-bid/1`` envelope that
``ggzy_core`` verifies and ``ggzy-bid unseal`` opens, file for file; an envelope the CLI seals
opens in the page; the page's tar headers are tarfile's byte for byte; its SM4-GCM and SM3 are
``cryptography``'s.

Without ``node`` these tests are skipped on a developer's machine, but fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes

from ggzy_core.gm import envelope, sm2
from ggzy_core.gm.envelope import OPENING_ROLE, Recipient
from ggzy_core.gm.envelope.archive import plan_archive
from ggzy_core.gm.sm4 import GCMEncryptor
from tests import node as nodejs

ROOT = Path(__file__).resolve().parents[2]
CREDIT_CODE = "91350100M000100Y43"

pytestmark = nodejs.requires_node

# Loads the vendored bundles as the worker does (globals, no module system), then answers one
# JSON request from stdin with one JSON line: {"ok": …} or {"error": …}.
DRIVER = r"""
const root = process.argv[1];
const fs = require("fs");
const vm = require("vm");
for (const file of ["static/vendor/sm-crypto-v2/index.umd.js", "static/vendor/hash-wasm/sm3.umd.min.js"]) {
  // As in a worker: no CommonJS or AMD in sight, so the bundles define their globals.
  const source = `(function (exports, module, define, require) {${fs.readFileSync(root + "/" + file, "utf8")}\n})`;
  vm.runInThisContext(source, { filename: file })();
}
const core = require(root + "/static/js/seal-core.js")({
  smv2: globalThis.SmCryptoV2, hashwasm: globalThis.hashwasm,
  hallFactory: require(root + "/static/js/hall-crypto.js"), webcrypto: globalThis.crypto,
  toolVersion: "ggzy-web test",
});
const reader = (path) => async (offset, length) => {
  const handle = fs.openSync(path, "r");
  try {
    const out = Buffer.alloc(length);
    const got = fs.readSync(handle, out, 0, length, offset);
    return new Uint8Array(out.buffer, out.byteOffset, got);
  } finally { fs.closeSync(handle); }
};
const run = {
  async seal({ files, sheet, section_id, section_code, credit_code, key_pem, password, opening_pem,
                browser_id, chunk_size, out }) {
    const key = await core.readPrivateKey(key_pem, password);
    const handle = fs.openSync(out, "w");
    try {
      return await core.seal({
        files: files.map((f) => ({
          name: f.name, size: fs.statSync(f.path).size, mtime: f.mtime, read: reader(f.path) })),
        sheet, sectionId: section_id, sectionCode: section_code, creditCode: credit_code, key,
        openingKey: core.readPublicKey(opening_pem), browserId: browser_id, chunkSize: chunk_size,
        write: (bytes) => { fs.writeSync(handle, bytes); },
      });
    } finally { fs.closeSync(handle); }
  },
  async open({ path, key_pem, password }) {
    const key = await core.readPrivateKey(key_pem, password);
    return core.open({ read: reader(path), size: fs.statSync(path).size, key });
  },
  async tar({ entries }) {
    return entries.map((e) => Buffer.from(core.tarHeaders(e)).toString("hex"));
  },
  async plan({ entries }) {
    const plan = core.planArchive(entries.map((e) => ({ ...e, read: null })));
    return { names: plan.entries.map((e) => e.name), size: plan.size, id: core.fileCreationId(plan) };
  },
  async gcm({ key, nonce, aad, plaintexts }) {
    const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
    return plaintexts.map((p) => {
      const { output, tag } = globalThis.SmCryptoV2.sm4.encrypt(hex(p), hex(key), {
        mode: "gcm", iv: hex(nonce), associatedData: hex(aad), output: "array", outputTag: true, padding: "none" });
      return Buffer.concat([Buffer.from(output), Buffer.from(tag)]).toString("hex");
    });
  },
  async sm3({ messages }) {
    const out = [];
    for (const m of messages) {
      const hasher = await globalThis.hashwasm.createSM3();
      hasher.init();
      const bytes = Buffer.from(m, "hex");
      for (let at = 0; at < bytes.length; at += 97) hasher.update(bytes.subarray(at, at + 97));
      out.push(hasher.digest("hex"));
    }
    return out;
  },
  async sheet({ sheet }) {
    return Buffer.from(core.encodeSheet(sheet)).toString("utf8");
  },
};
"""


def js(node: str, op: str, **request: Any) -> Any:
    return nodejs.answer(node, DRIVER, op, **request)


def js_error(node: str, op: str, **request: Any) -> str:
    return nodejs.refusal(node, DRIVER, op, **request)


@pytest.fixture(scope="module")
def bidder_key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def opening_key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture
def bid_folder(tmp_path: Path) -> dict[str, Path]:
    """A bid's files as a bidder picks them: a folder with sub-folders, Chinese and long names,
    an empty file, and one file larger than several chunks."""
    files = {
        "投标文件/商务标.pdf": b"%PDF-1.7 business part " * 300,
        "投标文件/技术标/施工组织设计.docx": secrets.token_bytes(9000),
        "投标文件/" + "a" * 120 + ".txt": b"a long name needs a pax header",
        "投标文件/empty.txt": b"",
        "投标文件/large.bin": secrets.token_bytes(70_000),
    }
    paths = {}
    for name, data in files.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (1_700_000_000, 1_700_000_000))
        paths[name] = path
    return paths


def browser_seal(
    node: str,
    out: Path,
    files: dict[str, Path],
    key: sm2.SM2PrivateKey,
    opening: sm2.SM2PrivateKey,
    *,
    password: str = "",
    chunk_size: int = 4096,
    sheet: dict[str, Any] | None = None,
) -> dict[str, Any]:
    pem = key.to_pem(password.encode(), iterations=2000) if password else key.to_pem()
    result: dict[str, Any] = js(
        node,
        "seal",
        files=[
            {"name": name, "path": str(path), "mtime": 1_700_000_000}
            for name, path in files.items()
        ],
        sheet=sheet or {"price": "12345678.9", "duration_days": 365, "quality": "合格"},
        section_id=7,
        section_code="GGZY-2026-001-01",
        credit_code=CREDIT_CODE,
        key_pem=pem.decode(),
        password=password,
        opening_pem=opening.public_key().to_pem().decode(),
        browser_id="browser-install-1",
        chunk_size=chunk_size,
        out=str(out),
    )
    return result


def test_a_bid_sealed_in_the_page_is_verified_and_unsealed_by_ggzy_core(
    node: str,
    tmp_path: Path,
    bid_folder: dict[str, Path],
    bidder_key: sm2.SM2PrivateKey,
    opening_key: sm2.SM2PrivateKey,
) -> None:
    sealed = tmp_path / "bid.gbid"
    result = browser_seal(node, sealed, bid_folder, bidder_key, opening_key, password="口令 pw")

    with sealed.open("rb") as handle:
        verified = envelope.verify(handle, bidder_key.public_key())
    assert verified.size == result["size"] == sealed.stat().st_size
    assert verified.sm3 == result["sm3"]
    manifest = verified.manifest
    assert manifest.section_code == "GGZY-2026-001-01"
    assert [r.role for r in manifest.recipients] == ["bidder", OPENING_ROLE]
    assert manifest.body_chunks > 20  # the 70 kB file alone spans many 4 KiB chunks
    assert manifest.client.tool_version == "ggzy-web test"
    assert manifest.client.mac_addresses == ()
    # Either recipient opens it: the bidder in the hall, the opening key in a rescue [E31].
    for key in (bidder_key, opening_key):
        content_key = envelope.unwrap_content_key(manifest, key)
        with sealed.open("rb") as handle:
            assert envelope.open_sheet(handle, content_key) == {
                "price": "12345678.90",
                "duration_days": 365,
                "quality": "合格",
            }
        out = tmp_path / f"out-{key.public_key().fingerprint()[:8]}"
        with sealed.open("rb") as handle:
            envelope.unseal(handle, content_key, out, signer=bidder_key.public_key())
        for name, path in bid_folder.items():
            assert (out / name).read_bytes() == path.read_bytes()


def test_ggzy_bid_unseal_opens_a_bid_sealed_in_the_page(
    node: str,
    tmp_path: Path,
    bid_folder: dict[str, Path],
    bidder_key: sm2.SM2PrivateKey,
    opening_key: sm2.SM2PrivateKey,
) -> None:
    sealed = tmp_path / "bid.gbid"
    browser_seal(node, sealed, bid_folder, bidder_key, opening_key)
    key_file = tmp_path / "bidder.pem"
    key_file.write_bytes(bidder_key.to_pem())
    out = tmp_path / "opened"
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "ggzy-bid"),
            "unseal",
            str(sealed),
            "--key",
            str(key_file),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        bid_folder
    )
    assert (out / "投标文件/large.bin").read_bytes() == bid_folder[
        "投标文件/large.bin"
    ].read_bytes()


def test_the_page_opens_a_bid_the_cli_sealed_and_lists_its_files(
    node: str,
    tmp_path: Path,
    bid_folder: dict[str, Path],
    bidder_key: sm2.SM2PrivateKey,
    opening_key: sm2.SM2PrivateKey,
) -> None:
    sealed = tmp_path / "cli.gbid"
    with sealed.open("wb") as out:
        envelope.seal(
            out=out,
            files=[tmp_path / "src" / "投标文件"],
            sheet={"price": "880000.5", "project_manager": "王工"},
            section_id=7,
            section_code="GGZY-2026-001-01",
            bidder_credit_code=CREDIT_CODE,
            signing_key=bidder_key,
            recipients=[Recipient(OPENING_ROLE, opening_key.public_key())],
            chunk_size=2048,
        )
    opened = js(node, "open", path=str(sealed), key_pem=bidder_key.to_pem().decode(), password="")
    assert opened["sheet"] == {"price": "880000.50", "project_manager": "王工"}
    assert opened["signature"] == "valid"
    assert {f["name"]: f["size"] for f in opened["files"]} == {
        name: path.stat().st_size for name, path in bid_folder.items()
    }
    # The opening key is a recipient too; it cannot check the bidder's signature itself.
    by_opening = js(
        node, "open", path=str(sealed), key_pem=opening_key.to_pem().decode(), password=""
    )
    assert by_opening["signature"] == "unchecked"
    assert by_opening["sheet"] == opened["sheet"]


def test_the_page_refuses_a_bid_changed_after_sealing(
    node: str,
    tmp_path: Path,
    bid_folder: dict[str, Path],
    bidder_key: sm2.SM2PrivateKey,
    opening_key: sm2.SM2PrivateKey,
) -> None:
    sealed = tmp_path / "bid.gbid"
    browser_seal(node, sealed, bid_folder, bidder_key, opening_key)
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0x01
    sealed.write_bytes(bytes(data))
    refusal = js_error(
        node, "open", path=str(sealed), key_pem=bidder_key.to_pem().decode(), password=""
    )
    assert "failed its check" in refusal
    assert "校验失败" in refusal
    other = sm2.generate_private_key()
    refusal = js_error(node, "open", path=str(sealed), key_pem=other.to_pem().decode(), password="")
    assert "not a recipient" in refusal


def test_the_pages_tar_headers_are_tarfiles_byte_for_byte(node: str) -> None:
    entries: list[dict[str, Any]] = [
        {"name": "a.pdf", "size": 1, "mtime": 1_700_000_000},
        {"name": "技术标/设计.docx", "size": 123_456, "mtime": 1_600_000_000},
        {"name": "x/" + "y" * 140, "size": 0, "mtime": 0},
        {"name": "z" * 100, "size": 8**11 - 1, "mtime": 1},
    ]
    headers = js(node, "tar", entries=entries)
    for entry, header in zip(entries, headers, strict=True):
        info = tarfile.TarInfo(str(entry["name"]))
        info.size, info.mtime, info.mode = int(entry["size"]), int(entry["mtime"]), 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        assert bytes.fromhex(header) == info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def test_the_pages_archive_plan_and_file_creation_id_are_the_clis(
    node: str, bid_folder: dict[str, Path]
) -> None:
    plan = plan_archive([next(iter(bid_folder.values())).parent])
    entries = [
        {"name": e.name, "size": e.size, "mtime": e.mtime}
        for e in reversed(plan.entries)  # the browser hands files over in any order
    ]
    answer = js(node, "plan", entries=entries)
    assert answer["names"] == [e.name for e in plan.entries]
    assert answer["size"] == plan.size
    assert answer["id"] == envelope.client.file_creation_id_of(plan)


def test_the_page_refuses_two_files_of_one_name_and_dot_dot(node: str) -> None:
    same = [{"name": "a.pdf", "size": 1, "mtime": 0}] * 2
    assert "two files have the same name: a.pdf" in js_error(node, "plan", entries=same)
    dots = [{"name": "../etc/passwd", "size": 1, "mtime": 0}]
    assert "unsupported file name" in js_error(node, "plan", entries=dots)


def test_the_pages_opening_sheet_is_the_clis_and_a_bad_price_is_refused_in_both_languages(
    node: str,
) -> None:
    sheet = {"price": "1000", "warranty": "两年 2 years", "duration_days": 90}
    assert js(node, "sheet", sheet=sheet).encode() == envelope.sheet.encode_sheet(sheet)
    for price in ("1,000.00", "0", "12.345", "-5", "1e6", " "):
        refusal = js_error(node, "sheet", sheet={"price": price})
        assert "投标报价" in refusal and "bid price" in refusal


def test_sm_crypto_v2s_sm4_gcm_and_hash_wasms_sm3_are_cryptographys(node: str) -> None:
    key, nonce, aad = secrets.token_bytes(16), secrets.token_bytes(12), secrets.token_bytes(36)
    plaintexts = [secrets.token_bytes(n) for n in (0, 1, 15, 16, 17, 1024, 5000)]
    sealed = js(
        node, "gcm", key=key.hex(), nonce=nonce.hex(), aad=aad.hex(),
        plaintexts=[p.hex() for p in plaintexts],
    )  # fmt: skip
    for plain, answer in zip(plaintexts, sealed, strict=True):
        enc = GCMEncryptor(key, nonce, aad)
        assert bytes.fromhex(answer) == enc.update(plain) + enc.finalize()
    messages = [secrets.token_bytes(n) for n in (0, 3, 55, 56, 64, 1000)]
    digests = js(node, "sm3", messages=[m.hex() for m in messages])
    for message, answer in zip(messages, digests, strict=True):
        digest = hashes.Hash(hashes.SM3())
        digest.update(message)
        assert answer == digest.finalize().hex()


def test_the_vendored_libraries_are_the_published_ones() -> None:
    readme = (ROOT / "static/vendor/sm-crypto-v2/README.md").read_text()
    for path in (
        "static/vendor/sm-crypto-v2/index.umd.js",
        "static/vendor/hash-wasm/sm3.umd.min.js",
    ):
        digest = hashes.Hash(hashes.SHA256())
        digest.update((ROOT / path).read_bytes())
        name = path.split("/")[2]
        text = (ROOT / f"static/vendor/{name}/README.md").read_text()
        assert digest.finalize().hex() in text, path
    assert "1.15.1" in readme
