"""``inspect`` and ``unseal``: look at a sealed bid, and open one's own bid to check it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    EnvelopeSignatureError,
    Manifest,
    open_sheet,
    read_manifest,
    sheet,
    unseal,
    unwrap_content_key,
    verify,
)

from .. import files, output
from ..errors import EXIT_INVALID, EXIT_OK, CLIError
from ..passwords import ENV_VAR
from .envelope_support import ProgressBar, bilingual_errors

# The sheet's items and their names are ggzy_core's (one list for the server and the tool).
_SHEET_LABELS = {
    item.name: (item.zh, item.en, f"{item.unit_zh} ({item.unit_en})" if item.unit_zh else "")
    for item in sheet.ITEMS
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inspect = subparsers.add_parser(
        "inspect",
        help="查看加密投标文件 / show a sealed bid's manifest",
        description=(
            "Check a sealed bid's structure and show its manifest. With --pub, also verify "
            "the bidder's signature (exit 1 if it does not verify). No private key needed."
        ),
    )
    inspect.add_argument("file", metavar="bid.gbid")
    inspect.add_argument("--pub", metavar="PUB.pem", help="bidder's public key or certificate")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(handler=run_inspect)

    parser = subparsers.add_parser(
        "unseal",
        help="解密自己的投标文件以核对 / decrypt your own bid to check it",
        description=(
            "Decrypt a sealed bid with a recipient's private key: print the opening sheet "
            "and extract the files into DIR (which must be missing or empty)."
        ),
    )
    parser.add_argument("file", metavar="bid.gbid")
    parser.add_argument("--key", required=True, metavar="KEY.pem", help="recipient's private key")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the files")
    parser.add_argument(
        "--pub", metavar="PUB.pem", help="bidder's public key, when --key is not the bidder's"
    )
    parser.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    parser.add_argument("--progress", action="store_true", help="show progress on stderr")
    parser.set_defaults(handler=run_unseal)


def _summary(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": "ggzy-bid/1",
        "section": {"id": manifest.section_id, "code": manifest.section_code},
        "bidder": {
            "credit_code": manifest.bidder_credit_code,
            "key_fingerprint": manifest.bidder_key_fingerprint,
        },
        "recipients": [
            {"role": r.role, "key_fingerprint": r.key_fingerprint} for r in manifest.recipients
        ],
        "chunk_size": manifest.chunk_size,
        "body_chunks": manifest.body_chunks,
        "body_plaintext_size": manifest.body_plaintext_size,
        "sheet_size": manifest.sheet_size,
        "client": manifest.client.to_json(),
        "created_at": manifest.created_at,
        "manifest_sm3": manifest.digest.hex(),
    }


def _print_summary(info: dict[str, Any]) -> None:
    client = info["client"]
    print(f"标段 / section: {info['section']['id']} ({info['section']['code']})")
    print(f"投标人 / bidder: {info['bidder']['credit_code']}")
    print(f"签名者公钥指纹 / signer fingerprint: {info['bidder']['key_fingerprint']}")
    for recipient in info["recipients"]:
        print(f"接收方 / recipient: {recipient['role']:8} {recipient['key_fingerprint']}")
    print(
        f"密文 / body: {info['body_chunks']} 块 / chunks of {info['chunk_size']} bytes, "
        f"{info['body_plaintext_size']} bytes plaintext; "
        f"开标一览表 / sheet: {info['sheet_size']} bytes"
    )
    if "size" in info:
        print(f"文件大小 / file size: {info['size']} bytes")
        print(f"SM3: {info['sm3']}")
    print(
        "以下为封装时记录的本机信息，供串通投标检查 [R40] / recorded by the sealing machine, "
        "for the collusion check [R40]:"
    )
    print(f"机器指纹 / machine fingerprint: {client['machine_fingerprint']}")
    print(f"MAC: {', '.join(client['mac_addresses']) or '-'}")
    print(f"文件创建标识 / file creation id: {client['file_creation_id']}")
    print(f"封装工具 / tool: {client['tool_version']}")
    created = output.beijing(info["created_at"])
    print(f"封装时间（投标人电脑时钟）/ created at (bidder's clock): {created}")


def run_inspect(args: argparse.Namespace) -> int:
    public_key = files.load_public_key(args.pub) if args.pub else None
    failure: EnvelopeSignatureError | None = None
    with files.open_input(args.file) as handle, bilingual_errors():
        try:
            result = verify(handle, public_key)
            manifest = result.manifest
        except EnvelopeSignatureError as exc:
            if not handle.seekable():  # standard input: no second look at the manifest
                raise
            failure = exc
            handle.seek(0)
            manifest = read_manifest(handle)
    info = _summary(manifest)
    if failure is None:
        info.update(size=result.size, sm3=result.sm3)
    info["signature_verified"] = None if public_key is None else failure is None
    if args.json:
        if failure is not None:
            info["signature_error"] = str(failure)
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        _print_summary(info)
        if public_key is None:
            print("签名 / signature: 未检查（请给出 --pub）/ not checked (give --pub)")
        elif failure is None:
            print("OK 签名有效 / signature valid")
        else:
            print(f"签名无效 / signature INVALID ({failure.en})")
    return EXIT_INVALID if failure is not None else EXIT_OK


def _print_sheet(sheet: dict[str, Any]) -> None:
    print("开标一览表 / opening sheet:")
    for name, value in sheet.items():
        zh, en, unit = _SHEET_LABELS.get(name, (name, name, ""))
        label = f"{zh} / {en}" if zh != en else name
        shown = value if isinstance(value, str | int) else json.dumps(value, ensure_ascii=False)
        print(f"  {label}: {shown} {unit}".rstrip())


def run_unseal(args: argparse.Namespace) -> int:
    private_key = files.load_private_key(args.key, args.password_file)
    bidder_pub = files.load_public_key(args.pub) if args.pub else None
    if args.file == "-":
        raise CLIError(
            "解密需要文件，不能从标准输入读取", "unseal needs a file, not standard input"
        )
    with files.open_input(args.file) as handle, bilingual_errors():
        manifest = read_manifest(handle)
        signer: sm2.SM2PublicKey | None = bidder_pub
        if manifest.bidder_key_fingerprint == private_key.public_key().fingerprint():
            signer = private_key.public_key()
        content_key = unwrap_content_key(manifest, private_key)
        handle.seek(0)
        sheet = open_sheet(handle, content_key)
        handle.seek(0)
        paths = unseal(
            handle,
            content_key,
            Path(args.out),
            signer=signer,
            progress=ProgressBar.wanted("解密 / decrypting", forced=args.progress),
        )
    _print_sheet(sheet)
    print(f"已解密 {len(paths)} 个文件 / {len(paths)} files extracted to {args.out}:")
    for path in paths:
        print(f"  {path}  ({path.stat().st_size} bytes)")
    if signer is None:
        print("签名 / signature: 未检查（请用 --pub 给出投标人公钥）/ not checked (give --pub)")
    else:
        print("OK 签名有效 / signature valid")
    return EXIT_OK
