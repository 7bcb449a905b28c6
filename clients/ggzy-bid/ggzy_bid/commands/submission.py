"""``login``, ``submit``, ``withdraw``, ``receipt verify``, ``time``: the platform side.

``submit`` is resumable and idempotent: its idempotency key is derived from the section and
the envelope's SM3, so rerunning the same command after a crash or a lost connection
continues the same upload and can never make a second bid. When the platform's storage is
full (HTTP 507) nothing already sent is lost: it exits 3 and the same command, run later,
resumes. An upload that is over on the server (410: terminated, or expired at the deadline)
is reported with the platform's reason; after a termination the same command starts afresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex, sm3_stream
from ggzy_core.receipts import verify_receipt

from .. import files, server
from ..errors import EXIT_INVALID, EXIT_OK, CLIError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = subparsers.add_parser(
        "login", help="登录平台并保存令牌 / log in and store an API token"
    )
    login.add_argument("--server", required=True, metavar="URL")
    login.add_argument("--username", required=True)
    login.set_defaults(handler=run_login)

    submit = subparsers.add_parser(
        "submit",
        help="上传加密投标文件（可断点续传）/ upload a sealed bid (resumable)",
        description="Upload a .gbid, resuming where the server is; save and verify the receipt. "
        "Exit 3: the platform's storage is full; run the same command later to resume.",
    )
    submit.add_argument("file", metavar="BID.gbid")
    submit.add_argument("--section", required=True, metavar="CODE", help="section code")
    submit.add_argument(
        "--replace",
        nargs="?",
        const=LIVE,
        type=_bid_id,
        metavar="BID_ID",
        help="replace your live bid in this section (the one found there, or the bid with this "
        "UUID)",
    )
    submit.add_argument("--chunk-size", type=int, default=8 << 20, metavar="BYTES")
    submit.add_argument("--progress", action="store_true", help="show progress on stderr")
    server_options(submit)
    submit.set_defaults(handler=run_submit)

    withdraw = subparsers.add_parser(
        "withdraw", help="撤回投标 / withdraw a bid before the deadline"
    )
    withdraw.add_argument("bid", type=_bid_id, metavar="BID_ID", help="the bid's UUID")
    withdraw.add_argument(
        "--out", metavar="RECEIPT.json", help="where to save the withdrawal receipt"
    )
    server_options(withdraw)
    withdraw.set_defaults(handler=run_withdraw)

    receipt = subparsers.add_parser("receipt", help="回执 / receipts")
    receipt_commands = receipt.add_subparsers(
        dest="receipt_command", required=True, metavar="ACTION"
    )
    verify = receipt_commands.add_parser(
        "verify", help="离线验证回执 / verify a receipt offline with the platform key"
    )
    verify.add_argument("receipt", metavar="RECEIPT.json")
    verify.add_argument("--platform-key", required=True, metavar="PLATFORM.pem")
    verify.add_argument("--file", metavar="BID.gbid", help="also check the bid file's SM3 and size")
    verify.set_defaults(handler=run_receipt_verify)

    clock = subparsers.add_parser(
        "time", help="平台时间与本机偏差 / server time and this machine's offset"
    )
    server_options(clock)
    clock.set_defaults(handler=run_time)


LIVE = "live"  # ``--replace`` without a value: my live bid in the section


def _bid_id(value: str) -> str:
    """Bids are named by UUID (an integer id would have counted other bids [E21])."""
    if value == LIVE:
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"投标编号应为UUID / a bid id is a UUID (see ggzy-bid's receipts or /bidding/), "
            f"not {value!r}"
        ) from exc


def server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="URL", help="platform URL (or $GGZY_SERVER, or login)")
    parser.add_argument("--token", metavar="TOKEN", help="API token (or $GGZY_TOKEN, or login)")


def run_login(args: argparse.Namespace) -> int:
    password = os.environ.get("GGZY_PASSWORD") or getpass.getpass("密码 / password: ")
    session = server.Session(server.Server(url=args.server), sleep=lambda _: None)
    body = session.json(
        "POST",
        "/api/auth/token",
        json={"username": args.username, "password": password},
        retry=False,
    )
    path = server.save_credentials(server.Server(url=args.server, token=body["token"]))
    print(f"已登录 / logged in; token saved to {path} (expires {body['expiry']})")
    return EXIT_OK


def _progress(total: int) -> Callable[[int], None]:
    started = time.monotonic()

    def show(done: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6) / 1e6
        print(
            f"\r{done * 100 // max(total, 1):3d}%  {done}/{total} bytes  {rate:.1f} MB/s",
            end="",
            file=sys.stderr,
        )
        if done >= total:
            print(file=sys.stderr)

    return show


def run_submit(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            digest = sm3_stream(handle).hex()
    except OSError as exc:
        raise CLIError("无法读取投标文件", f"cannot read {path}: {exc.strerror}") from exc
    session = server.Session(server.resolve(args.server, args.token))
    replaces = _live_bid(session, args.section) if args.replace == LIVE else args.replace
    key = sm3_hex(f"{args.section}\n{digest}\n{replaces or ''}".encode())[:32]
    with path.open("rb") as handle:
        bid_id = server.upload(
            session,
            handle,
            length=size,
            section=args.section,
            idempotency_key=key,
            replaces=replaces,
            chunk_size=args.chunk_size,
            progress=_progress(size) if args.progress else None,
        )
    receipts = session.json("GET", f"/api/bids/{bid_id}/receipt")
    receipt = next(r for r in receipts if r["payload"]["kind"] == "received")
    platform_key = sm2.load_public_key(session.request("GET", "/api/platform-key").content)
    if not verify_receipt(receipt, platform_key):
        raise CLIError("回执签名无效", "the receipt's signature does not verify", EXIT_INVALID)
    if receipt["payload"]["sm3"] != digest or receipt["payload"]["size"] != size:
        raise CLIError("回执与文件不符", "the receipt does not match the file sent", EXIT_INVALID)
    out = path.with_name(path.name + ".receipt.json")
    files.write_bytes(str(out), json.dumps(receipt, ensure_ascii=False, indent=2).encode())
    payload = receipt["payload"]
    print(
        f"已送达 / received: bid {bid_id}, section {payload['section']}, "
        f"at {payload['received_at']} (server time)\nSM3 {digest}\nreceipt: {out}\n"
        "开标时按送达时间编号 / bids are numbered at the opening, in order of receipt time"
    )
    return EXIT_OK


def _live_bid(session: server.Session, section: str) -> str:
    """The UUID of my organisation's live bid in ``section`` (there is at most one [E27])."""
    for bid in session.json("GET", "/api/bids"):
        if bid["section"] == section and bid["status"] == "received":
            return str(bid["id"])
    raise CLIError(
        "本单位在该标段没有有效投标，无需 --replace",
        f"your organisation has no live bid in {section}: submit without --replace",
    )


def run_withdraw(args: argparse.Namespace) -> int:
    session = server.Session(server.resolve(args.server, args.token))
    receipt = session.json("POST", f"/api/bids/{args.bid}/withdraw", retry=False)
    out = args.out or f"bid-{args.bid}.withdrawn.json"
    files.write_bytes(out, json.dumps(receipt, ensure_ascii=False, indent=2).encode())
    print(f"已撤回 / withdrawn: bid {args.bid}; receipt: {out}")
    return EXIT_OK


def run_receipt_verify(args: argparse.Namespace) -> int:
    try:
        receipt = json.loads(files.read_bytes(args.receipt))
    except ValueError as exc:
        raise CLIError("回执不是JSON", f"{args.receipt} is not a receipt (JSON)") from exc
    platform_key = files.load_public_key(args.platform_key)
    if not verify_receipt(receipt, platform_key):
        print("回执无效 / receipt INVALID: not signed by this platform key")
        return EXIT_INVALID
    payload = receipt["payload"]
    if args.file:
        path = Path(args.file)
        with path.open("rb") as handle:
            digest = sm3_stream(handle).hex()
        if digest != payload["sm3"] or path.stat().st_size != payload["size"]:
            print("回执与文件不符 / receipt does NOT match this file")
            return EXIT_INVALID
    print(
        f"OK 回执有效 / receipt valid: {payload['kind']} bid {payload['bid_id']} of {payload['bidder']} "
        f"in {payload['section']}, received {payload['received_at']}"
    )
    return EXIT_OK


def run_time(args: argparse.Namespace) -> int:
    session = server.Session(server.resolve(args.server, args.token))
    before = time.time()
    body = session.json("GET", "/api/time")
    after = time.time()
    offset = body["epoch_ms"] / 1000 - (before + after) / 2
    now = dt.datetime.fromisoformat(body["now"])
    print(f"平台时间 / server time {now.isoformat()}; this machine is {-offset:+.3f} s off")
    return EXIT_OK
