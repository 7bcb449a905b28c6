"""The electronic archive of a closed section (电子档案): packing and offline verification.

No Django import: a regulator checks an archive with this module and ``ggzy_core.gm`` only::

    python -m ggzy_core.archive ARCHIVE.zip --public-key platform.pem

An archive is a deterministic zip (fixed timestamps, sorted names) holding:

- ``manifest.json``: canonical JSON (``ggzy_core.canonical``), format ``ggzy-archive/1``: the
  section, when it was sealed and until when it is kept, the platform key's fingerprint, and
  every other file with its path, kind, size, SHA-256 and SM3; a signed document also names
  its domain prefix and its signature file, and a document whose digest the audit ledger
  recorded names that ledger entry (its index in ``ledger/entries.jsonl``) and field;
- ``manifest.sig``: the platform's SM2 signature (DER, ID 1234567812345678) over
  ``MANIFEST_DOMAIN + manifest.json``;
- ``platform-key.pem``: the platform's public key (a convenience: pin your own copy);
- the documents, each signed one beside its ``.sig`` (DER over its domain + its bytes);
- ``ledger/entries.jsonl``: the section's ledger entries, one canonical JSON record per line,
  in chain order. Entries before the first still-hidden entry of the whole ledger carry their
  full chain record (sequence, previous_hash, entry_hash); later ones carry the record
  without sequence and previous_hash, which would count other sections' hidden bids
  (docs/archive.md, "What the slice leaks"). Each line carries ``content_sm3``: SM3 of the
  canonical record without sequence, previous_hash and entry_hash; the manifest lists them
  in order;
- ``ledger/checkpoints.jsonl``: the platform-signed checkpoints at full-record entries.

``verify`` returns a :class:`Verdict` with the first failure in plain words (bilingual).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ggzy_core import ledger_chain as chain
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.gm.sm3 import sm3_hex

FORMAT = "ggzy-archive/1"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
KEY_FILE = "platform-key.pem"
ENTRIES = "ledger/entries.jsonl"
CHECKPOINTS = "ledger/checkpoints.jsonl"
MANIFEST_DOMAIN = b"ggzy-archive\n"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the archive is repeatable
# Bounds on what the verifier reads (an archive is a section's documents, not a data dump).
MAX_FILES = 20_000
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_MANIFEST_BYTES = 64 * 1024**2
# Fields of an entry's content: everything but its place in the chain.
CONTENT_FIELDS = tuple(
    name for name in chain.ENTRY_FIELDS if name not in ("sequence", "previous_hash")
)
PLACE_FIELDS = ("sequence", "previous_hash", "entry_hash")


def content_sm3(record: Mapping[str, Any]) -> str:
    """SM3 of an entry's canonical content: the record without its place in the chain."""
    return sm3_hex(canonical({name: record[name] for name in CONTENT_FIELDS}))


def slice_line(record: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    """An entry as ``ledger/entries.jsonl`` holds it: full (with its place in the chain) or
    content only (after the first hidden entry, whose place would count hidden bids)."""
    line = {name: record[name] for name in CONTENT_FIELDS}
    if full:
        line.update({name: record[name] for name in PLACE_FIELDS})
    line["content_sm3"] = content_sm3(record)
    return line


@dataclass(frozen=True)
class Binding:
    """A document's digest as the audit ledger recorded it: ``entry`` is the index of the
    entry in ``ledger/entries.jsonl``, ``field`` the key of its ``data`` that holds it.
    ``binds`` says what of the document it holds: ``"sm3"`` (the file's SM3) or
    ``"json:<dotted path>"``, a value in the document's JSON (a receipt's ``json:sm3``: the
    SM3 of the bid it acknowledges, which the bid's entry recorded)."""

    entry: int
    field: str
    binds: str = "sm3"

    def as_manifest(self) -> dict[str, Any]:
        return {"entry": self.entry, "field": self.field, "binds": self.binds}


@dataclass(frozen=True)
class Document:
    """One file to pack. A signed one has its domain prefix and DER signature."""

    path: str
    kind: str
    data: bytes
    domain: bytes | None = None
    signature: bytes | None = None
    ledger: Binding | None = None


def _digests(data: bytes) -> dict[str, Any]:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "sm3": sm3_hex(data)}


def pack(
    *,
    section: Mapping[str, Any],
    sealed_at: str,
    retain_until: str,
    documents: Sequence[Document],
    entries: Sequence[Mapping[str, Any]],
    checkpoints: Sequence[Mapping[str, Any]],
    public_key: sm2.SM2PublicKey,
    sign: Callable[[bytes], bytes],
) -> bytes:
    """The archive's bytes. ``entries`` are ``slice_line`` records in chain order;
    ``sign`` returns the platform's DER SM2 signature of the bytes it is given."""
    files: dict[str, bytes] = {KEY_FILE: public_key.to_pem()}
    listed: list[dict[str, Any]] = [{"path": KEY_FILE, "kind": "platform-key"}]
    for document in documents:
        if document.path in files or document.path in (MANIFEST, MANIFEST_SIG):
            raise ValueError(f"two archive files named {document.path}")
        files[document.path] = document.data
        item: dict[str, Any] = {"path": document.path, "kind": document.kind}
        if document.signature is not None and document.domain is not None:
            signature_path = document.path + ".sig"
            files[signature_path] = document.signature
            listed.append({"path": signature_path, "kind": "signature"})
            item["domain"] = document.domain.decode("utf-8")
            item["signature"] = signature_path
        if document.ledger is not None:
            item["ledger"] = document.ledger.as_manifest()
        listed.append(item)
    files[ENTRIES] = b"".join(canonical(dict(line)) + b"\n" for line in entries)
    files[CHECKPOINTS] = b"".join(canonical(dict(point)) + b"\n" for point in checkpoints)
    listed += [{"path": ENTRIES, "kind": "ledger-entries"}]
    listed += [{"path": CHECKPOINTS, "kind": "ledger-checkpoints"}]
    for item in listed:
        item.update(_digests(files[item["path"]]))
    manifest = {
        "format": FORMAT,
        "section": dict(section),
        "sealed_at": sealed_at,
        "retain_until": retain_until,
        "key_fingerprint": public_key.fingerprint(),
        "files": sorted(listed, key=lambda item: item["path"]),
        "ledger": {
            "entries": len(entries),
            "full_records": sum(1 for line in entries if "sequence" in line),
            "checkpoints": len(checkpoints),
            "content_sm3": [line["content_sm3"] for line in entries],
        },
    }
    manifest_bytes = canonical(manifest)
    files[MANIFEST] = manifest_bytes
    files[MANIFEST_SIG] = sign(MANIFEST_DOMAIN + manifest_bytes)
    return write_zip(files)


def write_zip(files: Mapping[str, bytes]) -> bytes:
    """Deterministic: sorted names, fixed times and modes, so one content gives one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[name])
    return buffer.getvalue()


class Unreadable(Exception):
    """Not a zip, or not one this verifier can open (exit 2)."""


class Refused(Exception):
    """The archive fails a check; the message says which, in both languages (exit 1)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")


@dataclass
class Verdict:
    section: str = ""
    files: int = 0
    signed: int = 0
    bound: int = 0
    entries: int = 0
    full_records: int = 0
    checkpoints: int = 0
    key_fingerprint: str = ""
    pinned: bool = False
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reason


def verify(data: bytes, *, pinned_key: sm2.SM2PublicKey | None = None) -> Verdict:
    """Check an archive; raises ``Unreadable`` for bytes that are not a readable zip."""
    files = _read_zip(data)
    verdict = Verdict(pinned=pinned_key is not None)
    try:
        _verify(files, pinned_key, verdict)
    except Refused as refusal:
        verdict.reason = str(refusal)
    except (AttributeError, TypeError, KeyError, ValueError):
        # A manifest or ledger line of the wrong shape (signed or not: refuse, never crash).
        verdict.reason = str(
            Refused("清单或审计日志结构错误", "the manifest or ledger is malformed")
        )
    return verdict


def _read_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_FILES:
            raise Unreadable(f"more than {MAX_FILES} files")
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise Unreadable("more than 4 GiB uncompressed")
        files: dict[str, bytes] = {}
        for info in infos:
            if info.filename in files:
                raise Unreadable(f"two files named {info.filename}")
            files[info.filename] = archive.read(info)
        return files
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise Unreadable(str(exc)) from exc


def _verify(
    files: Mapping[str, bytes], pinned_key: sm2.SM2PublicKey | None, verdict: Verdict
) -> None:
    for name in (MANIFEST, MANIFEST_SIG, KEY_FILE):
        if name not in files:
            raise Refused(f"缺少 {name}", f"{name} is missing")
    manifest_bytes = files[MANIFEST]
    manifest = _manifest(manifest_bytes)
    key = pinned_key or _included_key(files[KEY_FILE])
    verdict.key_fingerprint = key.fingerprint()
    if manifest.get("key_fingerprint") != key.fingerprint():
        raise Refused(
            "清单由另一把密钥签署（不是所指定的平台公钥）",
            "the manifest names another signing key than the platform key given",
        )
    if not key.verify(MANIFEST_DOMAIN + manifest_bytes, files[MANIFEST_SIG]):
        raise Refused(
            "清单签名无效（清单被改动或非平台签署）",
            "the manifest's signature is invalid (the manifest was changed or not signed by "
            "the platform)",
        )
    section = manifest.get("section") or {}
    verdict.section = str(section.get("code", ""))
    listed = _check_files(files, manifest, key, verdict)
    lines = _check_ledger(files, manifest, key, verdict)
    _check_bindings(files, listed, lines, verdict)


def _manifest(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_MANIFEST_BYTES:
        raise Refused("清单过大", "manifest.json is too large")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise Refused("清单不是 JSON", "manifest.json is not JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Refused(
            f"清单格式不是 {FORMAT}", f"manifest.json is not an archive manifest ({FORMAT})"
        )
    if canonical(manifest) != data:
        raise Refused("清单不是规范 JSON", "manifest.json is not in canonical form")
    return manifest


def _included_key(pem: bytes) -> sm2.SM2PublicKey:
    try:
        return sm2.load_public_key(pem)
    except (GMError, ValueError) as exc:
        raise Refused("档案内的平台公钥无法读取", "platform-key.pem cannot be read") from exc


def _check_files(
    files: Mapping[str, bytes],
    manifest: Mapping[str, Any],
    key: sm2.SM2PublicKey,
    verdict: Verdict,
) -> dict[str, Mapping[str, Any]]:
    listed: dict[str, Mapping[str, Any]] = {}
    for item in manifest.get("files") or []:
        path = str(item.get("path", ""))
        if path in listed or path in (MANIFEST, MANIFEST_SIG):
            raise Refused(f"清单重复列出 {path}", f"the manifest lists {path} twice")
        listed[path] = item
        if path not in files:
            raise Refused(f"缺少文件 {path}", f"{path} is missing")
        data = files[path]
        if _digests(data) != {name: item.get(name) for name in ("size", "sha256", "sm3")}:
            raise Refused(
                f"文件 {path} 被改动（大小或摘要与清单不符）",
                f"{path} was changed (its size or digests differ from the manifest)",
            )
    for path in files:
        if path not in listed and path not in (MANIFEST, MANIFEST_SIG):
            raise Refused(f"档案含清单外的文件 {path}", f"{path} is not in the manifest")
    for path, item in listed.items():
        if "signature" not in item:
            continue
        signature_path = str(item["signature"])
        if signature_path not in listed:
            raise Refused(f"缺少 {path} 的签名", f"the signature of {path} is missing")
        message = str(item.get("domain", "")).encode("utf-8") + files[path]
        if not key.verify(message, files[signature_path]):
            raise Refused(
                f"{path} 的平台签名无效", f"the platform's signature of {path} is invalid"
            )
        verdict.signed += 1
    verdict.files = len(listed)
    return listed


def _check_ledger(
    files: Mapping[str, bytes],
    manifest: Mapping[str, Any],
    key: sm2.SM2PublicKey,
    verdict: Verdict,
) -> list[dict[str, Any]]:
    summary = manifest.get("ledger") or {}
    lines = _jsonl(files.get(ENTRIES, b""), ENTRIES)
    expected = list(summary.get("content_sm3") or [])
    if len(lines) != len(expected) or len(lines) != summary.get("entries"):
        raise Refused(
            f"审计日志条数与清单不符（{len(lines)} 条，清单 {len(expected)} 条）",
            f"the ledger slice has {len(lines)} entries, the manifest lists {len(expected)}",
        )
    full: dict[int, str] = {}
    previous: dict[str, Any] | None = None
    for index, (line, digest) in enumerate(zip(lines, expected, strict=True)):
        try:
            actual = content_sm3(line)
        except KeyError as exc:
            raise Refused(
                f"审计日志第 {index + 1} 行缺少字段", f"ledger line {index + 1} lacks a field"
            ) from exc
        if actual != line.get("content_sm3") or actual != digest:
            raise Refused(
                f"审计日志第 {index + 1} 行的内容或顺序与清单不符",
                f"ledger line {index + 1} differs from the manifest in content or order",
            )
        if "sequence" in line:
            _check_full(line, previous, index)
            full[line["sequence"]] = line["entry_hash"]
            previous = line
        elif any(name in line for name in PLACE_FIELDS):
            raise Refused(
                f"审计日志第 {index + 1} 行的链位置不完整",
                f"ledger line {index + 1} has part of a chain place",
            )
        else:
            previous = {"sequence": None}  # content-only lines come last
    if len(full) != summary.get("full_records"):
        raise Refused("完整记录条数与清单不符", "the count of full ledger records differs")
    for point in _jsonl(files.get(CHECKPOINTS, b""), CHECKPOINTS):
        _check_checkpoint(point, full, key)
        verdict.checkpoints += 1
    if verdict.checkpoints != summary.get("checkpoints"):
        raise Refused("检查点数量与清单不符", "the count of checkpoints differs")
    verdict.entries = len(lines)
    verdict.full_records = len(full)
    return lines


def _check_full(line: Mapping[str, Any], previous: Mapping[str, Any] | None, index: int) -> None:
    where_zh, where_en = f"审计日志第 {index + 1} 行", f"ledger line {index + 1}"
    if chain.entry_hash(line) != line.get("entry_hash"):
        raise Refused(f"{where_zh}与其哈希不符（被改动）", f"{where_en} does not match its hash")
    if previous is not None:
        if previous.get("sequence") is None:
            raise Refused(
                f"{where_zh}：完整记录须在仅含内容的记录之前",
                f"{where_en}: full records come before content-only ones",
            )
        if line["sequence"] <= previous["sequence"]:
            raise Refused(f"{where_zh}顺序错乱", f"{where_en} is out of chain order")
        neighbour = line["sequence"] == previous["sequence"] + 1
        if neighbour and line["previous_hash"] != previous["entry_hash"]:
            raise Refused(
                f"{where_zh}与前一条不相接", f"{where_en} does not chain to the one before it"
            )


def _check_checkpoint(
    point: Mapping[str, Any], full: Mapping[int, str], key: sm2.SM2PublicKey
) -> None:
    sequence = point.get("sequence")
    if not isinstance(sequence, int) or full.get(sequence) != point.get("entry_hash"):
        raise Refused(
            "检查点与档案中的审计日志记录不符", "a checkpoint does not match a ledger entry here"
        )
    message = chain.checkpoint_message(
        sequence=sequence, entry_hash=str(point["entry_hash"]), signed_at=str(point["signed_at"])
    )
    try:
        signature = bytes.fromhex(str(point.get("signature", "")))
    except ValueError:
        signature = b""
    if point.get("key_fingerprint") != key.fingerprint() or not key.verify(message, signature):
        raise Refused("检查点签名无效", "a checkpoint's signature is invalid")


def _check_bindings(
    files: Mapping[str, bytes],
    listed: Mapping[str, Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    verdict: Verdict,
) -> None:
    for path, item in listed.items():
        binding = item.get("ledger")
        if binding is None:
            continue
        index = binding.get("entry")
        if not isinstance(index, int) or not 0 <= index < len(lines):
            raise Refused(
                f"{path} 指向不存在的审计日志记录", f"{path} names a ledger entry not here"
            )
        recorded = (lines[index].get("data") or {}).get(str(binding.get("field")))
        if recorded is None or recorded != _bound_value(files[path], str(binding.get("binds"))):
            raise Refused(
                f"{path} 的摘要与审计日志记录的不同",
                f"the digest of {path} differs from the one the ledger recorded",
            )
        verdict.bound += 1


def _bound_value(data: bytes, binds: str) -> Any:
    if binds == "sm3":
        return sm3_hex(data)
    if not binds.startswith("json:"):
        return None
    try:
        value: Any = json.loads(data)
        for part in binds.removeprefix("json:").split("."):
            value = value[part]
    except (ValueError, KeyError, TypeError):
        return None
    return value


def _jsonl(data: bytes, name: str) -> list[dict[str, Any]]:
    lines = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            item = json.loads(raw)
        except ValueError as exc:
            raise Refused(
                f"{name} 第 {number} 行不是 JSON", f"{name} line {number} is not JSON"
            ) from exc
        if not isinstance(item, dict) or canonical(item) != raw:
            raise Refused(
                f"{name} 第 {number} 行不是规范 JSON", f"{name} line {number} is not canonical"
            )
        lines.append(item)
    return lines


def report(verdict: Verdict, out: Any) -> int:
    if verdict.pinned:
        out.write(f"平台公钥 / platform key (pinned): {verdict.key_fingerprint}\n")
    else:
        out.write(
            f"平台公钥 / platform key (included in the archive): {verdict.key_fingerprint}\n"
            "注意：仅用档案自带的公钥只能证明档案自洽；用 --public-key 指定独立取得的平台公钥才"
            "能证明档案出自本平台 / note: the included key proves only that the archive is "
            "self-consistent; pin an independently obtained key with --public-key to prove "
            "the platform made it\n"
        )
    if not verdict.ok:
        out.write(f"REFUSED 电子档案不可信 / archive refused: {verdict.reason}\n")
        return 1
    out.write(
        f"OK 电子档案完整且未被篡改 / archive complete and untampered: section "
        f"{verdict.section}, {verdict.files} files, {verdict.signed} platform signatures, "
        f"{verdict.bound} documents matched to the ledger, {verdict.entries} ledger entries "
        f"({verdict.full_records} with their chain place), {verdict.checkpoints} signed "
        "checkpoints\n"
    )
    return 0


def main(argv: list[str] | None = None, out: Any = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(description="Verify a ggzy section archive offline.")
    parser.add_argument("archive", type=Path, help="the archive zip")
    parser.add_argument("--public-key", type=Path, help="the platform's public key PEM (pin it)")
    args = parser.parse_args(argv)
    try:
        pinned = sm2.load_public_key(args.public_key.read_bytes()) if args.public_key else None
    except (OSError, GMError, ValueError) as exc:
        out.write(f"无法读取公钥 / cannot read the public key {args.public_key}: {exc}\n")
        return 2
    try:
        verdict = verify(args.archive.read_bytes(), pinned_key=pinned)
    except (OSError, Unreadable) as exc:
        out.write(f"无法读取档案 / cannot read the archive {args.archive}: {exc}\n")
        return 2
    return report(verdict, out)


if __name__ == "__main__":
    raise SystemExit(main())
