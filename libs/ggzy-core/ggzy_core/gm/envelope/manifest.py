"""The envelope's manifest: constants, canonical JSON, and a strict reader.

The manifest is the envelope's only cleartext part. The server parses it without any key to
file the bid (section, bidder, sizes) and to feed the collusion checks (client fingerprints),
so it is read strictly: exact field set, exact types, bounded sizes, canonical encoding. A
reader that tolerated variants would let two byte strings mean one manifest, and the
manifest's SM3 is what binds every encrypted part to it. See docs/envelope.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from ...canonical import canonical as canonical_json
from ...credit_code import is_valid as credit_code_is_valid
from ..sm3 import sm3
from .errors import MalformedEnvelope

MAGIC = b"GGZYBID1"
FORMAT = "ggzy-bid/1"
ALGORITHMS = {"cipher": "SM4-GCM", "hash": "SM3", "wrap": "SM2", "signature": "SM2-SM3"}

DEFAULT_CHUNK_SIZE = 1 << 20
MIN_CHUNK_SIZE = 1 << 10
# A reader holds one chunk in memory to check its tag before using it: this bounds that.
MAX_CHUNK_SIZE = 16 << 20
MAX_MANIFEST_SIZE = 256 << 10
MAX_SHEET_PLAINTEXT = 64 << 10
SHEET_PADDING = 1 << 10  # the sheet is padded to a multiple of this (see sheet.py)
TAG_SIZE = 16
MAX_SHEET_SIZE = MAX_SHEET_PLAINTEXT + TAG_SIZE
MAX_BODY_SIZE = 1 << 40  # 1 TiB: far beyond any tender, small enough to refuse nonsense
MAX_CHUNKS = (1 << 32) - 1  # the nonce counter is 32 bits
MAX_RECIPIENTS = 16
MAX_SIGNATURE_SIZE = 72  # DER SEQUENCE of two 33-byte INTEGERs
MAX_MAC_ADDRESSES = 64
NONCE_PREFIX_SIZE = 7
CONTENT_KEY_SIZE = 16

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
ROLE_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}\Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_CREATED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z\Z")
_MAX_TEXT = 256


@dataclass(frozen=True)
class ClientInfo:
    """What the bidder's machine says about itself (collusion signals, not proof)."""

    machine_fingerprint: str
    mac_addresses: tuple[str, ...]
    file_creation_id: str
    tool_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "file_creation_id": self.file_creation_id,
            "mac_addresses": list(self.mac_addresses),
            "machine_fingerprint": self.machine_fingerprint,
            "tool_version": self.tool_version,
        }


@dataclass(frozen=True)
class RecipientEntry:
    """One holder of the content key: its role, key fingerprint and SM2-wrapped key."""

    role: str
    key_fingerprint: str
    wrapped_key: bytes  # GM/T 0009 DER SM2 ciphertext of the 16-byte content key


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated manifest. ``raw`` is its exact canonical bytes; ``digest`` SM3."""

    raw: bytes
    digest: bytes
    section_id: int
    section_code: str
    bidder_credit_code: str
    bidder_key_fingerprint: str
    chunk_size: int
    recipients: tuple[RecipientEntry, ...]
    client: ClientInfo
    created_at: str
    content_key_commitment: bytes
    body_nonce_prefix: bytes
    sheet_size: int
    body_chunks: int
    body_plaintext_size: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """Parse and validate; raise MalformedEnvelope saying what is wrong."""
        if len(raw) > MAX_MANIFEST_SIZE:
            _bad("清单过大", f"the manifest is larger than {MAX_MANIFEST_SIZE} bytes")
        return _parse(bytes(raw))

    def to_dict(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.raw)
        return value

    def recipient(self, key_fingerprint: str) -> RecipientEntry | None:
        return next((r for r in self.recipients if r.key_fingerprint == key_fingerprint), None)

    def chunk_plaintext_size(self, index: int) -> int:
        if not 0 <= index < self.body_chunks:
            raise IndexError(index)
        if index < self.body_chunks - 1:
            return self.chunk_size
        return self.body_plaintext_size - self.chunk_size * (self.body_chunks - 1)

    def envelope_size(self, signature_size: int) -> int:
        """Total file size implied by the manifest, given the signature's length."""
        framing = len(MAGIC) + 4 + len(self.raw) + 4 + self.sheet_size + 2 + signature_size
        return framing + self.body_plaintext_size + self.body_chunks * (4 + TAG_SIZE)


def chunk_count(body_plaintext_size: int, chunk_size: int) -> int:
    return -(-body_plaintext_size // chunk_size)


# --- strict parsing ----------------------------------------------------------------------


def _bad(zh: str, en: str) -> NoReturn:
    raise MalformedEnvelope(f"投标文件清单无效：{zh}", f"invalid bid manifest: {en}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            _bad(f"字段 {key} 重复", f"field {key!r} appears twice")
        result[key] = value
    return result


def _refuse_number(text: str) -> NoReturn:
    _bad(f"不允许的数值 {text[:20]}", f"non-integer number {text[:20]!r} is not allowed")


def _decode_json(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _bad("不是 UTF-8 文本", "not UTF-8 text")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_refuse_number,
            parse_constant=_refuse_number,
        )
    except ValueError as exc:  # JSONDecodeError, and int strings over Python's digit limit
        _bad("不是合法的 JSON", f"not valid JSON ({exc})")
    except RecursionError:  # "[[[[…": the manifest is 4 levels deep, a hostile one 100 000
        _bad("嵌套过深", "nested too deeply")
    try:
        canonical = canonical_json(value)
    except (UnicodeEncodeError, ValueError):
        _bad("含有无法编码的字符", "contains a lone surrogate")
    except RecursionError:
        _bad("嵌套过深", "nested too deeply")
    if canonical != raw:
        _bad("不是规范编码（键须排序、无空白）", "not in canonical form (sorted keys, no spaces)")
    if not isinstance(value, dict):
        _bad("顶层必须是对象", "the top level must be an object")
    return value


def _object(value: object, path: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _bad(f"{path} 必须是对象", f"{path} must be an object")
    if missing := sorted(keys - value.keys()):
        _bad(f"缺少字段 {path}.{missing[0]}", f"missing field {path}.{missing[0]}")
    if unknown := sorted(value.keys() - keys):
        _bad(f"未知字段 {path}.{unknown[0]}", f"unknown field {path}.{unknown[0]}")
    return value


def _int(value: object, path: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        _bad(f"{path} 必须是整数", f"{path} must be an integer")
    if not low <= value <= high:
        _bad(f"{path} 超出范围 [{low}, {high}]", f"{path} is outside [{low}, {high}]")
    return value


def _text(value: object, path: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str):
        _bad(f"{path} 必须是字符串", f"{path} must be a string")
    if pattern is not None:
        if not pattern.match(value):
            _bad(f"{path} 格式不对", f"{path} has the wrong format")
    elif not 1 <= len(value) <= _MAX_TEXT or not value.isprintable():
        _bad(f"{path} 必须是 1–{_MAX_TEXT} 个可打印字符", f"{path} must be 1–256 printable chars")
    return value


def _hex(value: object, path: str, size: int) -> bytes:
    text = _text(value, path, re.compile(rf"[0-9a-f]{{{size * 2}}}\Z"))
    return bytes.fromhex(text)


def _base64(value: object, path: str) -> bytes:
    text = _text(value, path, re.compile(r"[A-Za-z0-9+/]{1,680}={0,2}\Z"))
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        _bad(f"{path} 不是合法的 base64", f"{path} is not valid base64")
    if base64.b64encode(data).decode("ascii") != text:
        _bad(f"{path} 不是规范的 base64", f"{path} is not canonical base64")
    return data


def _list(value: object, path: str, low: int, high: int) -> list[Any]:
    if not isinstance(value, list):
        _bad(f"{path} 必须是数组", f"{path} must be an array")
    if not low <= len(value) <= high:
        _bad(f"{path} 的项数必须在 {low}–{high}", f"{path} must have {low}–{high} items")
    return value


def _timestamp(value: object, path: str) -> str:
    text = _text(value, path, _CREATED_AT)
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _bad(f"{path} 不是有效时间", f"{path} is not a valid time")
    return text


def _recipient(value: object, index: int) -> RecipientEntry:
    path = f"recipients[{index}]"
    entry = _object(value, path, {"role", "key_fingerprint", "wrapped_key"})
    return RecipientEntry(
        role=_text(entry["role"], f"{path}.role", ROLE_PATTERN),
        key_fingerprint=_text(entry["key_fingerprint"], f"{path}.key_fingerprint", _HEX64),
        wrapped_key=_base64(entry["wrapped_key"], f"{path}.wrapped_key"),
    )


def _client(value: object) -> ClientInfo:
    keys = {"machine_fingerprint", "mac_addresses", "file_creation_id", "tool_version"}
    client = _object(value, "client", keys)
    macs = _list(client["mac_addresses"], "client.mac_addresses", 0, MAX_MAC_ADDRESSES)
    return ClientInfo(
        machine_fingerprint=_text(
            client["machine_fingerprint"], "client.machine_fingerprint", _HEX64
        ),
        mac_addresses=tuple(_text(m, "client.mac_addresses[]", _MAC) for m in macs),
        file_creation_id=_text(client["file_creation_id"], "client.file_creation_id", _UUID),
        tool_version=_text(client["tool_version"], "client.tool_version"),
    )


def _sheet_size(value: object) -> int:
    size = _int(value, "sheet_size", SHEET_PADDING + TAG_SIZE, MAX_SHEET_SIZE)
    if (size - TAG_SIZE) % SHEET_PADDING:
        _bad("开标一览表未按规定填充", f"sheet_size - 16 must be a multiple of {SHEET_PADDING}")
    return size


_TOP_LEVEL = {
    "format", "section", "bidder", "algorithms", "recipients", "client", "created_at",
    "content_key_commitment", "body_nonce_prefix", "sheet_size", "body_chunks",
    "body_plaintext_size",
}  # fmt: skip


def _parse(raw: bytes) -> Manifest:
    doc = _decode_json(raw)
    if doc.get("format") != FORMAT:
        found = str(doc.get("format"))[:40]
        _bad(f"不支持的格式 {found}", f"unsupported format {found!r} (expected {FORMAT})")
    doc = _object(doc, "manifest", _TOP_LEVEL)
    section = _object(doc["section"], "section", {"id", "code"})
    bidder = _object(doc["bidder"], "bidder", {"credit_code", "key_fingerprint"})
    algorithms = _object(doc["algorithms"], "algorithms", {*ALGORITHMS, "chunk_size"})
    for name, expected in ALGORITHMS.items():
        if algorithms[name] != expected:
            _bad(f"不支持的算法 {name}", f"unsupported algorithms.{name} (expected {expected})")
    chunk_size = _int(
        algorithms["chunk_size"], "algorithms.chunk_size", MIN_CHUNK_SIZE, MAX_CHUNK_SIZE
    )
    credit_code = _text(bidder["credit_code"], "bidder.credit_code")
    if not credit_code_is_valid(credit_code):
        _bad("投标人统一社会信用代码无效", "bidder.credit_code is not a valid credit code")
    bidder_fingerprint = _text(bidder["key_fingerprint"], "bidder.key_fingerprint", _HEX64)
    items = _list(doc["recipients"], "recipients", 1, MAX_RECIPIENTS)
    recipients = tuple(_recipient(item, index) for index, item in enumerate(items))
    fingerprints = [r.key_fingerprint for r in recipients]
    if len(set(fingerprints)) != len(fingerprints):
        _bad("同一密钥重复出现在接收方中", "a key appears twice among the recipients")
    if bidder_fingerprint not in fingerprints:
        _bad("投标人自己的密钥不在接收方中", "the bidder's own key is not a recipient")
    body_size = _int(doc["body_plaintext_size"], "body_plaintext_size", 1, MAX_BODY_SIZE)
    body_chunks = _int(doc["body_chunks"], "body_chunks", 1, MAX_CHUNKS)
    if body_chunks != chunk_count(body_size, chunk_size):
        _bad("分块数与明文大小不符", "body_chunks does not match body_plaintext_size/chunk_size")
    digest = sm3(raw)
    return Manifest(
        raw=raw,
        digest=digest,
        section_id=_int(section["id"], "section.id", 1, (1 << 63) - 1),
        section_code=_text(section["code"], "section.code"),
        bidder_credit_code=credit_code,
        bidder_key_fingerprint=bidder_fingerprint,
        chunk_size=chunk_size,
        recipients=recipients,
        client=_client(doc["client"]),
        created_at=_timestamp(doc["created_at"], "created_at"),
        content_key_commitment=_hex(doc["content_key_commitment"], "content_key_commitment", 32),
        body_nonce_prefix=_hex(doc["body_nonce_prefix"], "body_nonce_prefix", NONCE_PREFIX_SIZE),
        sheet_size=_sheet_size(doc["sheet_size"]),
        body_chunks=body_chunks,
        body_plaintext_size=body_size,
    )
