"""``unlock``, ``confirm`` and ``share``: the bidder's (and key holder's) part in the hall.

The private key never leaves this machine: ``unlock`` unwraps the bid's content key from the
local .gbid and sends only that, inside the decryption window [E30]; ``confirm`` checks the
published reading against its SM3 before signing it; ``share`` opens the holder's sealed
share of the opening key locally and sends the share, to rescue a bid [E31] — only once the
host has started a rescue (the regulator's share first; centre and tenderee after it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ggzy_core.gm import envelope, shamir
from ggzy_core.reading import reading_digest, reading_message

from .. import files, server
from ..errors import EXIT_OK, CLIError
from ..passwords import ENV_VAR
from .submission import server_options


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    unlock = subparsers.add_parser(
        "unlock", help="在开标大厅解密本单位投标 / decrypt your bid in the opening hall"
    )
    unlock.add_argument("file", metavar="BID.gbid", help="your sealed bid, as you uploaded it")
    unlock.add_argument("--section", required=True, metavar="CODE")
    unlock.add_argument("--key", required=True, metavar="KEY.pem", help="your SM2 private key")
    unlock.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    server_options(unlock)
    unlock.set_defaults(handler=run_unlock)

    confirm = subparsers.add_parser(
        "confirm", help="确认或对唱标结果提出异议 / confirm or object to the reading"
    )
    confirm.add_argument("--section", required=True, metavar="CODE")
    confirm.add_argument("--key", required=True, metavar="KEY.pem")
    confirm.add_argument("--password-file", metavar="F")
    confirm.add_argument("--object", action="store_true", help="object instead of confirming")
    server_options(confirm)
    confirm.set_defaults(handler=run_confirm)

    share = subparsers.add_parser(
        "share", help="提交开标密钥分片 / give your share of the opening key"
    )
    share.add_argument("--section", required=True, metavar="CODE")
    share.add_argument(
        "--key", required=True, metavar="KEY.pem", help="your organisation's SM2 key"
    )
    share.add_argument("--password-file", metavar="F")
    server_options(share)
    share.set_defaults(handler=run_share)


def run_unlock(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    try:
        with Path(args.file).open("rb") as handle:
            manifest = envelope.read_manifest(handle)
    except OSError as exc:
        raise CLIError("无法读取投标文件", f"cannot read {args.file}: {exc.strerror}") from exc
    if manifest.section_code != args.section:
        raise CLIError(
            "投标文件不是该标段的", f"{args.file} was sealed for {manifest.section_code}"
        )
    content_key = envelope.unwrap_content_key(manifest, key)
    session = server.Session(server.resolve(args.server, args.token))
    hall = session.json("GET", f"/api/halls/{args.section}")
    bid = hall.get("you", {}).get("bid")
    if bid is None and hall.get("stage") == "waiting":
        # Before the deadline the hall lists no bid at all, whose ever [E21].
        zh, en = _guide(hall)
        raise CLIError(f"{zh}；解密在开标后的解密窗口进行", f"{en}; you decrypt in its window")
    if bid is None:
        raise CLIError(
            "本单位在该标段的开标中没有投标（请核对 --section 与登录的单位）",
            "your organisation has no bid in this hall (check --section and the login)",
        )
    body = session.json(
        "POST",
        f"/api/halls/{args.section}/bids/{bid}/key",
        json={"content_key": content_key.hex()},
        retry=False,
    )
    print(body.get("detail") or f"已提交解密密钥 / key accepted: bid {bid} is {body['status']}")
    return EXIT_OK


def _guide(hall: dict[str, Any]) -> tuple[str, str]:
    """Where the hall stands, in the server's words (the snapshot's guide)."""
    guide = hall.get("guide") or {}
    stage = hall.get("stage", "?")
    return (
        str(guide.get("zh") or f"开标大厅当前阶段：{stage}"),
        str(guide.get("en") or f"the hall is at {stage}"),
    )


def run_confirm(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    session = server.Session(server.resolve(args.server, args.token))
    hall = session.json("GET", f"/api/halls/{args.section}")
    reading, published = hall.get("reading"), hall.get("reading_sm3", "")
    if hall.get("stage") != "confirmation":
        zh, en = _guide(hall)
        raise CLIError(f"现在不能确认：{zh}", f"you cannot confirm now: {en}")
    if not reading or reading_digest(reading) != published:
        raise CLIError("唱标结果与其摘要不符", "the reading does not match its published SM3")
    for row in reading["rows"]:
        values = row.get("values") or {}
        print(f"  #{row['sequence']} {row['bidder']}  {row['status']}  {values.get('price', '—')}")
    decision = "object" if args.object else "confirm"
    session.json(
        "POST",
        f"/api/halls/{args.section}/answer",
        json={"decision": decision, "signature": key.sign(reading_message(published)).hex()},
        retry=False,
    )
    print(f"已{'提出异议' if args.object else '确认'} / {decision}ed reading {published}")
    return EXIT_OK


def run_share(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    session = server.Session(server.resolve(args.server, args.token))
    hall = session.json("GET", f"/api/halls/{args.section}")
    if hall.get("stage") != "decryption" or not hall.get("rescue_started"):
        # Shares exist for a rescue only [E27, E31]; the server refuses too, this says why first.
        raise CLIError(
            "主持人尚未发起补救：开标密钥分片只在开标后的解密阶段、主持人为平台解密失败的投标"
            f"发起补救时提供，请届时再运行本命令（大厅当前阶段：{hall.get('stage')}）",
            "the host has not started a rescue yet: shares are released only after the "
            "deadline, in the decryption stage, when the host starts a rescue of a bid the "
            f"platform failed to decrypt; run this command again then (hall: {hall.get('stage')})",
        )
    sealed = session.json("GET", f"/api/halls/{args.section}/share")
    opened = shamir.open_share(bytes.fromhex(sealed["sealed_share"]), key)
    body = session.json(
        "POST",
        f"/api/halls/{args.section}/share",
        json={"share": opened.to_bytes().hex()},
        retry=False,
    )
    print(
        f"已提交分片 {sealed['index']} / share {sealed['index']} given; bids rescued: {body['rescued']}"
    )
    if body.get("detail"):
        print(body["detail"])
    return EXIT_OK
