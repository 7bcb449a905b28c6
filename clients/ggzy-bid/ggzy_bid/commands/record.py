"""``record get`` and ``record verify``: the signed opening record (开标记录), offline-checkable.

The platform signs ``RECORD_DOMAIN + JSON`` (``ggzy_core.record``), not the JSON file alone,
so plain ``ggzy-bid verify`` cannot check it: this command knows the prefix, checks that the
JSON is canonical, that its SM3 is the one signed, and that the key is the platform's.
docs/record.md shows the same check with ``openssl``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ggzy_core import record
from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex

from .. import files, server
from ..errors import EXIT_INVALID, EXIT_OK, CLIError
from .submission import server_options

# What each download is called: the same names the platform gives (Content-Disposition).
SUFFIXES = {"json": ".json", "signature": ".sig.json", "pdf": ".pdf"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("record", help="开标记录 / the signed opening record")
    actions = group.add_subparsers(dest="record_command", required=True, metavar="ACTION")

    get = actions.add_parser(
        "get",
        help="下载并验证开标记录 / download the opening record and verify it",
        description="Download the record's JSON, the platform's signature and the PDF into "
        "--out as 开标记录-<section>.json / .sig.json / .pdf, then verify the signature.",
    )
    get.add_argument("--section", required=True, metavar="CODE")
    get.add_argument("--out", default=".", metavar="DIR", help="folder to save into (default: .)")
    _platform_key_option(get)
    server_options(get)
    get.set_defaults(handler=run_get)

    verify = actions.add_parser(
        "verify",
        help="离线验证开标记录的平台签名 / verify the record's platform signature offline",
        description="Verify RECORD.json against the platform's signature. Exit 0 if valid, "
        "1 if not, 2 if a file or key cannot be read.",
    )
    verify.add_argument("record", metavar="RECORD.json", help="the record's JSON, as downloaded")
    verify.add_argument(
        "--signature",
        metavar="SIG.json",
        help="the platform's signature (default: the .sig.json next to RECORD.json)",
    )
    _platform_key_option(verify)
    server_options(verify)
    verify.set_defaults(handler=run_verify)


def _platform_key_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platform-key",
        metavar="PLATFORM.pem",
        help="the platform's public key, obtained independently (without it: asked of the "
        "server, which proves only that the file is the one the server signed)",
    )


def signature_path(record_path: str) -> str:
    name = Path(record_path).name
    stem = name[: -len(".json")] if name.endswith(".json") else name
    return str(Path(record_path).with_name(stem + SUFFIXES["signature"]))


def _platform_key(args: argparse.Namespace) -> sm2.SM2PublicKey:
    if args.platform_key:
        return files.load_public_key(args.platform_key)
    session = server.Session(server.resolve(args.server, args.token))
    response = session.request("GET", "/api/platform-key")
    server.refuse_unless_ok(response)
    key = sm2.load_public_key(response.content)
    print(
        f"平台公钥取自 {session.server.url}（指纹 {key.fingerprint()}），如需独立核验请用 "
        f"--platform-key 指定另行取得的公钥 / platform key fetched from {session.server.url} "
        f"(fingerprint {key.fingerprint()}); for an independent check pass --platform-key"
    )
    return key


def _why_invalid(json_bytes: bytes, signed: dict[str, Any], key: sm2.SM2PublicKey) -> str:
    """The first check that fails, in the order ``record.verify_record`` makes them."""
    if signed.get("key_fingerprint") != key.fingerprint():
        return (
            f"签名所用密钥 {signed.get('key_fingerprint')} 不是该平台公钥 {key.fingerprint()} / "
            f"signed by key {signed.get('key_fingerprint')}, not this platform key "
            f"{key.fingerprint()}"
        )
    if signed.get("record_sm3") != sm3_hex(json_bytes):
        return (
            "文件的 SM3 与签名记载的不符，文件已被改动或不是该签名对应的记录 / the file's SM3 is not "
            "the one signed: the file was changed or belongs to another signature"
        )
    try:
        data = json.loads(json_bytes)
    except ValueError:
        return "文件不是 JSON / the file is not JSON"
    if not isinstance(data, dict) or data.get("format") not in record.RECORD_FORMATS:
        return "文件不是开标记录 / the file is not an opening record"
    if canonical(data) != json_bytes:
        return "文件不是规范 JSON（被重新排版过） / the file is not canonical JSON (re-formatted)"
    return "签名无效 / the signature does not verify"


def _load(path: str, what_zh: str, what_en: str) -> tuple[bytes, Any]:
    raw = files.read_bytes(path)
    try:
        return raw, json.loads(raw)
    except ValueError as exc:
        raise CLIError(f"{what_zh}不是 JSON", f"{path} is not {what_en} (JSON)") from exc


def check(json_bytes: bytes, signed: Any, key: sm2.SM2PublicKey) -> int:
    """Print the verdict and a summary; the exit code."""
    if not isinstance(signed, dict) or not record.verify_record(json_bytes, signed, key):
        reason = _why_invalid(json_bytes, signed if isinstance(signed, dict) else {}, key)
        print(f"开标记录无效 / record INVALID: {reason}")
        return EXIT_INVALID
    data = json.loads(json_bytes)
    section = data["section"]
    print("OK 开标记录签名有效 / record signature valid")
    print(f"  标段 / section: {section['code']} {section['name']}")
    print(f"  开标时间 / opening: {data['opening_time']} ({data['time_zone']})")
    print(f"  SM3: {signed['record_sm3']}  平台公钥 / platform key: {signed['key_fingerprint']}")
    for bid in data["bids"]:
        price = (bid.get("reading") or {}).get("price", "—")
        signed_in = bid.get("signed_in_at") or "未签到 / not signed in"
        answer = bid["confirmation"]
        print(
            f"  #{bid['sequence']} {bid['bidder_name']}  {bid['status']}  {price}  "
            f"签到 / sign-in: {signed_in}  {answer['state']} {answer['signature_fingerprint'] or ''}"
        )
    print(
        f"  异议 / objections: {len(data['objections'])}  事件 / events: {len(data['events'])}  "
        f"生成 / generated: {data['generated_at']}"
    )
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    json_bytes, _data = _load(args.record, "开标记录", "an opening record")
    sig_path = args.signature or signature_path(args.record)
    _raw, signed = _load(sig_path, "签名文件", "a record signature")
    return check(json_bytes, signed, _platform_key(args))


def run_get(args: argparse.Namespace) -> int:
    session = server.Session(server.resolve(args.server, args.token))
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    code = args.section
    safe = code.replace("/", "_").replace("\\", "_")
    saved: dict[str, Path] = {}
    for kind in ("json", "signature", "pdf"):
        response = session.request("GET", f"/api/halls/{code}/record", params={"format": kind})
        server.refuse_unless_ok(response)
        path = folder / f"开标记录-{safe}{SUFFIXES[kind]}"
        files.write_bytes(str(path), response.content)
        saved[kind] = path
        print(f"已保存 / saved: {path}")
    key = (
        files.load_public_key(args.platform_key)
        if args.platform_key
        else sm2.load_public_key(session.request("GET", "/api/platform-key").content)
    )
    signed = json.loads(saved["signature"].read_bytes())
    return check(saved["json"].read_bytes(), signed, key)
