"""``login``, ``submit``, ``withdraw``, ``time``: the platform side (``receipt verify`` and
``receipt proof`` are in :mod:`.transparency`).

``submit`` is resumable and idempotent: its idempotency key is derived from the section and
the envelope's SM3, so rerunning the same command after a crash or a lost connection
continues the same upload and can never make a second bid. When the platform's storage is
full (HTTP 507) nothing already sent is lost: it exits 3 and the same command, run later,
resumes. An upload that is over on the server (410: terminated, or expired at the deadline)
is reported with the platform's reason; after a termination the same command starts afresh.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ggzy_core.gm import envelope, sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.gm.sm3 import sm3_hex, sm3_stream
from ggzy_core.receipts import verify_receipt

from .. import bound_keys, files, output, server
from ..environment import PASSWORD_ENV as PASSWORD_ENV  # tests and callers name it here
from ..errors import EXIT_INVALID, EXIT_OK, CLIError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = subparsers.add_parser(
        "login", help="登录平台并保存令牌 / log in and store an API token"
    )
    login.add_argument("--server", required=True, metavar="URL")
    login.add_argument("--username", required=True)
    login.add_argument(
        "--profile",
        metavar="NAME",
        help=f"save the login under this name (or ${server.PROFILE_ENV}; default: the default "
        "profile)",
    )
    login.set_defaults(handler=run_login)

    listing = subparsers.add_parser(
        "profiles", help="列出已保存的登录 / list the saved logins (profiles)"
    )
    listing.set_defaults(handler=run_profiles)

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
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help=f"use the login saved under this name (or ${server.PROFILE_ENV})",
    )


def session_for(args: argparse.Namespace) -> server.Session:
    return server.Session(server.resolve(args.server, args.token, args.profile))


def _login_password() -> str:
    if from_env := os.environ.get(PASSWORD_ENV):
        return from_env
    if not sys.stdin.isatty():
        raise CLIError(
            f"需要登录密码：请在终端运行，或设置环境变量 {PASSWORD_ENV}",
            f"a login password is needed: run on a terminal, or set {PASSWORD_ENV}",
        )
    return getpass.getpass("密码 / password: ")


def run_login(args: argparse.Namespace) -> int:
    name = server.profile_name(args.profile)
    password = _login_password()
    session = server.Session(server.Server(url=args.server), sleep=lambda _: None)
    body = session.json(
        "POST",
        "/api/auth/token",
        json={"username": args.username, "password": password},
        retry=False,
    )
    path = server.save_credentials(
        server.Server(url=args.server, token=body["token"], profile=name), username=args.username
    )
    output.say(
        f"已登录 / logged in as {args.username} at {args.server} (profile {name}); "
        f"token saved to {path}, expires {output.beijing(body['expiry'])}"
    )
    return EXIT_OK


def run_profiles(args: argparse.Namespace) -> int:
    saved = server.profiles()
    if not saved:
        output.say(
            "没有已保存的登录：请运行 ggzy-bid login [--profile 名称] --server URL --username 用户名"
            " / no saved login: run ggzy-bid login [--profile NAME] --server URL --username NAME"
        )
        return EXIT_OK
    chosen = server.profile_name(None)
    for name, stored in saved:
        mark = "*" if name == chosen else " "
        who = stored.get("username") or "?"
        output.say(f"{mark} {name:16} {stored.get('server', '?')}  {who}")
    output.say(f"* 当前使用 / in use ({server.PROFILE_ENV} or the default): {chosen}")
    return EXIT_OK


def _progress(total: int) -> Callable[[int], None]:
    started = time.monotonic()

    def show(done: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6) / 1e6
        output.progress(
            f"上传 / uploading {done * 100 // max(total, 1):3d}%  {done}/{total} bytes  "
            f"{rate:.1f} MB/s",
            finished=done >= total,
        )

    return show


def _sealed_for(path: Path) -> envelope.Manifest:
    try:
        with path.open("rb") as handle:
            return envelope.read_manifest(handle)
    except OSError as exc:
        raise CLIError(
            f"无法读取投标文件 {path}（{exc.strerror}）", f"cannot read {path}: {exc.strerror}"
        ) from exc
    except GMError as exc:
        raise CLIError(
            f"{path} 不是加密投标文件（.gbid），请先用 ggzy-bid seal 封装 [E26]",
            f"{path} is not a sealed bid (.gbid): seal it with ggzy-bid seal first [E26] ({exc})",
        ) from None


def _check_before_upload(session: server.Session, manifest: envelope.Manifest, args: Any) -> None:
    """What the platform would refuse after the whole upload, asked before it."""
    if manifest.section_code != args.section:
        raise CLIError(
            f"投标文件是为标段 {manifest.section_code} 封装的，不是 {args.section}：请为本标段重新封装",
            f"the bid was sealed for section {manifest.section_code}, not {args.section}: "
            "seal it again for this section",
        )
    found = bound_keys.problem(
        session, manifest.bidder_key_fingerprint, manifest.bidder_credit_code
    )
    if found is not None:
        raise found.error()
    if args.replace is None:
        live = _find_live_bid(session, args.section)
        if live is not None:
            raise CLIError(
                f"本单位在标段 {args.section} 已有有效投标 {live}，一个标段只能有一份 [R34]；如需用本"
                f"文件替换它，请运行：ggzy-bid submit {args.file} --section {args.section} "
                f"--replace {live}",
                f"your organisation already has a live bid in {args.section}, {live}, and may "
                f"have only one [R34]; to replace it with this file run: ggzy-bid submit "
                f"{args.file} --section {args.section} --replace {live}",
            )


def run_submit(args: argparse.Namespace) -> int:
    path = Path(args.file)
    manifest = _sealed_for(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            digest = sm3_stream(handle).hex()
    except OSError as exc:
        raise CLIError("无法读取投标文件", f"cannot read {path}: {exc.strerror}") from exc
    session = session_for(args)
    _check_before_upload(session, manifest, args)
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
    output.say(
        f"已送达 / received: bid {bid_id}, section {payload['section']}, "
        f"at {output.beijing(payload['received_at'])} (平台时间 / server time)\nSM3 {digest}\n"
        f"receipt: {out}\n"
        "开标时按送达时间编号 / bids are numbered at the opening, in order of receipt time"
    )
    return EXIT_OK


def _find_live_bid(session: server.Session, section: str) -> str | None:
    """The UUID of my organisation's live bid in ``section`` (there is at most one [E27])."""
    for bid in session.json("GET", "/api/bids"):
        if bid["section"] == section and bid["status"] == "received":
            return str(bid["id"])
    return None


def _live_bid(session: server.Session, section: str) -> str:
    found = _find_live_bid(session, section)
    if found is None:
        raise CLIError(
            "本单位在该标段没有有效投标，无需 --replace",
            f"your organisation has no live bid in {section}: submit without --replace",
        )
    return found


def run_withdraw(args: argparse.Namespace) -> int:
    session = session_for(args)
    receipt = session.json("POST", f"/api/bids/{args.bid}/withdraw", retry=False)
    out = args.out or f"bid-{args.bid}.withdrawn.json"
    files.write_bytes(out, json.dumps(receipt, ensure_ascii=False, indent=2).encode())
    at = receipt.get("payload", {}).get("issued_at", "")  # when the withdrawal was recorded
    output.say(f"已撤回 / withdrawn: bid {args.bid} at {output.beijing(at)}; receipt: {out}")
    return EXIT_OK


def run_time(args: argparse.Namespace) -> int:
    session = session_for(args)
    before = time.time()
    body = session.json("GET", "/api/time")
    after = time.time()
    offset = body["epoch_ms"] / 1000 - (before + after) / 2
    output.say(
        f"平台时间 / server time {output.beijing(body['now'])}; "
        f"本机时钟偏差 / this machine is {-offset:+.3f} s off"
    )
    return EXIT_OK
