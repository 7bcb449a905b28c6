"""``receipt verify``, ``receipt proof``, ``log monitor``, ``log compare``: checking the platform.

A receipt says the platform received a bid; its *ledger proof* says the ledger entry of that
receipt is in the public log under a signed tree head, and the *monitor* checks that every
head the platform shows extends the ones seen before (docs/ledger.md, "The transparency log").
Everything but fetching is offline: the platform's public key and the files suffice.

Exit status: 0 checked and fine; 1 something did not check out (an invalid signature or
proof, a receipt the entry does not match, a rollback, a fork, a rewritten log); 2 usage,
files, keys; 3 not now (the proof is not public yet, the network or the platform failed):
run the same command again later.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import json
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from ggzy_core import tree_head
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_stream
from ggzy_core.receipts import verify_receipt

from .. import files, output, server
from ..errors import EXIT_INVALID, EXIT_LATER, EXIT_OK, CLIError
from ..tree_heads import (
    HeadProblem,
    State,
    check_head,
    consistent,
    describe,
    evidence,
    is_older,
    load_state,
    pinned_key_matches,
    save_state,
)
from .submission import server_options

BID_ACTIONS = frozenset({"bidding.bid.received", "bidding.bid.replaced"})
LATEST = ("平台的最新树头", "the platform's latest head")
STALE_AFTER = dt.timedelta(minutes=10)
MONITOR_RETRIES = 3  # a monitor run every minute should fail fast and try at the next run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    receipt = subparsers.add_parser("receipt", help="回执与账本证明 / receipts and ledger proofs")
    actions = receipt.add_subparsers(dest="receipt_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="离线验证回执（及其账本证明）/ verify a receipt (and its ledger proof) offline",
        description="Offline: the receipt's signature; with a proof (--proof, or "
        "RECEIPT.proof.json beside it) that the receipt's ledger entry is in a signed tree "
        "head; with --pins, that this head agrees with the heads log monitor pinned.",
    )
    verify.add_argument("receipt", metavar="RECEIPT.json")
    verify.add_argument("--platform-key", required=True, metavar="PLATFORM.pem")
    verify.add_argument("--file", metavar="BID.gbid", help="also check the bid file's SM3 and size")
    verify.add_argument("--proof", metavar="PROOF.json", help="the ledger proof (receipt proof)")
    verify.add_argument("--pins", metavar="STATE.json", help="the state file of log monitor")
    verify.set_defaults(handler=run_receipt_verify)

    proof = actions.add_parser(
        "proof",
        help="下载回执的账本证明 / fetch the ledger proof of a receipt",
        description="Fetch the proof that the receipt's ledger entry is in the public log. It "
        "exists from the first tree head after the bid deadline; before, exit 3.",
    )
    proof.add_argument("receipt", metavar="RECEIPT.json")
    proof.add_argument("--out", metavar="PROOF.json", help="default: RECEIPT.proof.json")
    server_options(proof)
    proof.set_defaults(handler=run_receipt_proof)

    log = subparsers.add_parser("log", help="监督平台的公开日志 / watch the platform's public log")
    log_actions = log.add_subparsers(dest="log_command", required=True, metavar="ACTION")
    monitor = log_actions.add_parser(
        "monitor",
        help="检查最新树头并固定 / check the latest signed tree head and pin it",
        description="Fetch the latest signed tree head (public: no login needed), verify it, "
        "and check it extends the last pinned head (rollback, fork, rewritten log: exit 1). "
        "The first run pins the head it finds (trust on first use).",
    )
    monitor.add_argument("--state", required=True, metavar="STATE.json")
    monitor.add_argument("--platform-key", required=True, metavar="PLATFORM.pem")
    monitor.add_argument("--every", type=_positive, metavar="SECONDS", help="repeat this often")
    monitor.add_argument(
        "--times", type=_positive_int, metavar="N", help="rounds (default 1; with --every: forever)"
    )
    server_options(monitor)
    monitor.set_defaults(handler=run_log_monitor)

    compare = log_actions.add_parser(
        "compare",
        help="把别人固定的树头与自己的比较 / compare a head someone else pinned with yours",
        description="Offline: a head of the same size as one you pinned must have its root "
        "(else: fork, exit 1). Other sizes need a consistency proof: give --server.",
    )
    compare.add_argument("state", metavar="STATE.json")
    compare.add_argument("head", metavar="HEAD.json", help="a signed tree head (JSON)")
    server_options(compare)
    compare.set_defaults(handler=run_log_compare)


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"应为正数 / must be positive, not {value!r}")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"应至少为 1 / must be at least 1, not {value!r}")
    return number


def _json_file(path: str, zh: str, en: str) -> Any:
    try:
        return json.loads(files.read_bytes(path))
    except ValueError:
        raise CLIError(f"{path} 不是{zh}（JSON）", f"{path} is not {en} (JSON)") from None


def _load_receipt(path: str) -> dict[str, Any]:
    receipt = _json_file(path, "回执", "a receipt")
    if not isinstance(receipt, dict) or not isinstance(receipt.get("payload"), dict):
        raise CLIError(f"{path} 不是回执", f"{path} is not a receipt (no payload)")
    return receipt


def default_proof_path(receipt_path: str) -> Path:
    """``bid.gbid.receipt.json`` → ``bid.gbid.receipt.proof.json``, beside the receipt."""
    path = Path(receipt_path)
    stem = path.name[: -len(".json")] if path.name.endswith(".json") else path.name
    return path.with_name(f"{stem}.proof.json")


# --- online: one GET, failures that a later run can cure exit 3 -------------------------


def _session(args: argparse.Namespace) -> server.Session:
    return server.Session(
        server.resolve(args.server, args.token, args.profile), retries=MONITOR_RETRIES
    )


def _get(session: server.Session, path: str, **params: Any) -> requests.Response:
    try:
        response = session.request("GET", path, params=params or None)
    except CLIError as exc:  # the platform could not be reached
        raise CLIError(exc.zh, exc.en, EXIT_LATER) from None
    except requests.RequestException as exc:
        raise CLIError(
            f"与平台 {session.server.url} 的连接失败，请稍后重试",
            f"the connection to {session.server.url} failed ({exc.__class__.__name__}): run "
            "the same command again later",
            EXIT_LATER,
        ) from None
    if response.status_code >= 500 or response.status_code == 429:
        failed = server.refusal(response)
        raise CLIError(failed.zh, failed.en, EXIT_LATER)
    return response


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise CLIError(
            "平台的回答不是 JSON：平台地址是否正确？",
            "the platform's answer is not JSON: is this the platform's address?",
            EXIT_LATER,
        ) from None


def run_receipt_proof(args: argparse.Namespace) -> int:
    receipt = _load_receipt(args.receipt)
    try:
        bid = str(uuid.UUID(str(receipt["payload"].get("bid_id"))))
    except ValueError:
        raise CLIError(
            f"{args.receipt} 没有投标编号（UUID）", f"{args.receipt} names no bid (UUID)"
        ) from None
    response = _get(_session(args), f"/api/bids/{bid}/ledger-proof")
    if response.status_code == 409:
        # Not public yet: the entry joins the log at the first head after the deadline.
        later = server.refusal(response)
        raise CLIError(later.zh, later.en, EXIT_LATER)
    server.refuse_unless_ok(response)
    bundle = _body(response)
    entry = bundle.get("entry") if isinstance(bundle, dict) else None
    if not isinstance(entry, dict) or (entry.get("data") or {}).get("bid") != bid:
        raise CLIError(
            f"平台返回的不是投标 {bid} 的账本证明，未保存",
            f"the platform's answer is not a ledger proof of bid {bid}; nothing saved",
            EXIT_INVALID,
        )
    out = args.out or str(default_proof_path(args.receipt))
    files.write_bytes(out, json.dumps(bundle, ensure_ascii=False, indent=2).encode())
    head = bundle.get("tree_head") or {}
    output.say(
        f"已保存账本证明 / ledger proof saved: {out}\n"
        f"投标 / bid {bid}: leaf {bundle.get('leaf_index')} of the signed tree head of "
        f"{describe(head)}\n"
        f"离线验证 / verify offline: ggzy-bid receipt verify {args.receipt} --platform-key "
        "PLATFORM.pem [--pins STATE.json]"
    )
    return EXIT_OK


# --- receipt verify: offline --------------------------------------------------------------


def _invalid(zh: str, en: str) -> int:
    output.say(f"{zh} / {en}")
    return EXIT_INVALID


def run_receipt_verify(args: argparse.Namespace) -> int:
    receipt = _load_receipt(args.receipt)
    platform_key = files.load_public_key(args.platform_key)
    if not verify_receipt(receipt, platform_key):
        return _invalid("回执无效", "receipt INVALID: not signed by this platform key")
    payload = receipt["payload"]
    if args.file:
        path = Path(args.file)
        with files.open_input(args.file) as handle:
            digest = sm3_stream(handle).hex()
        if digest != payload["sm3"] or path.stat().st_size != payload["size"]:
            return _invalid("回执与文件不符", "receipt does NOT match this file")
    output.say(
        f"OK 回执有效 / receipt valid: {payload['kind']} bid {payload['bid_id']} of "
        f"{payload['bidder']} in {payload['section']}, received "
        f"{output.beijing(payload['received_at'])}"
    )
    proof_path = args.proof or _proof_beside(args.receipt)
    if proof_path is None:
        return EXIT_OK
    bundle = _json_file(proof_path, "账本证明", "a ledger proof")
    reason = tree_head.verify_proof_bundle(bundle, platform_key)
    if reason is not None:
        return _invalid(
            f"账本证明无效（{reason}）", f"ledger proof INVALID ({proof_path}): {reason}"
        )
    head = bundle["tree_head"]
    output.say(
        f"OK 账本证明有效 / ledger proof valid: the entry {bundle['entry'].get('action')} is leaf "
        f"{bundle['leaf_index']} of the signed tree head of {describe(head)}"
    )
    mismatch = entry_mismatch(bundle["entry"], payload)
    if mismatch:
        return _invalid(
            f"账本记录与回执不符（{', '.join(mismatch)}）：这份证明不是本回执的",
            f"the ledger entry does NOT match the receipt ({', '.join(mismatch)}): this proof "
            "is not this receipt's",
        )
    output.say(
        "OK 账本记录与回执一致 / the ledger entry matches the receipt: bid, section, SM3, size, "
        "time received"
    )
    if args.pins:
        return _against_pins(head, args.pins, platform_key)
    return EXIT_OK


def _proof_beside(receipt_path: str) -> str | None:
    beside = default_proof_path(receipt_path)
    if not beside.exists():
        return None
    output.notice(f"使用回执旁的账本证明 {beside}", f"using the ledger proof beside it, {beside}")
    return str(beside)


def entry_mismatch(entry: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    """The fields where the ledger entry of a receipt says something else than the receipt
    (bidding/services.py writes both from the same bid)."""
    found = entry.get("data")
    data: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    wrong = [] if entry.get("action") in BID_ACTIONS else ["action"]
    pairs = (("bid", "bid_id"), ("section", "section"), ("sm3", "sm3"), ("size", "size"))
    wrong += [mine for mine, theirs in pairs if data.get(mine) != payload.get(theirs)]
    if _moment(data.get("received_at")) != _moment(payload.get("received_at")) or (
        _moment(data.get("received_at")) is None
    ):
        wrong.append("received_at")
    return wrong


def _moment(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _against_pins(head: Mapping[str, Any], pins: str, key: sm2.SM2PublicKey) -> int:
    state = load_state(pins)
    if state is None:
        raise CLIError(f"状态文件 {pins} 不存在", f"the state file {pins} does not exist")
    pinned_key_matches(state, key, pins)
    same = state.at_size(int(head["tree_size"]))
    if same is None:
        output.say(
            f"说明：你未固定大小为 {head['tree_size']} 的树头，离线无法判断一致性；运行 ggzy-bid log "
            f"monitor --state {pins} --platform-key PLATFORM.pem 以检查 / note: none of your pinned "
            f"heads has size {head['tree_size']}, so consistency cannot be told offline: run "
            f"ggzy-bid log monitor --state {pins} --platform-key PLATFORM.pem to check it"
        )
        return EXIT_OK
    if same["root_hash"] != head["root_hash"]:
        return _inconsistent(
            "分叉：证明所附树头与你固定的树头大小相同、根哈希不同，不能同时为真",
            "FORK: the proof's head and your pinned head have the same size and different roots; "
            "they cannot both be true",
            same,
            head,
        )
    output.say(f"OK 与已固定的树头一致 / the same as your pinned head of size {head['tree_size']}")
    return EXIT_OK


def _inconsistent(zh: str, en: str, pinned: Mapping[str, Any], other: Mapping[str, Any]) -> int:
    output.say(
        f"不一致 / INCONSISTENT: {zh} / {en}\n"
        f"  pinned: {describe(pinned)}\n  other:  {describe(other)}\n"
        "两个都由平台签名：请把下面两行交给监管部门 / both are signed by the platform: give the "
        f"regulator these two lines\n{evidence(pinned)}\n{evidence(other)}"
    )
    return EXIT_INVALID


# --- log monitor ---------------------------------------------------------------------------


def run_log_monitor(args: argparse.Namespace) -> int:
    key = files.load_public_key(args.platform_key)
    state = load_state(args.state)
    if state is not None:
        pinned_key_matches(state, key, args.state)
    session = _session(args)
    rounds = args.times or (None if args.every else 1)
    done, worst = 0, EXIT_OK
    while True:
        try:
            state = _monitor_once(session, key, state, args.state)
        except CLIError as exc:
            if exc.exit_code != EXIT_LATER or not args.every:
                raise
            output.error(exc.line())  # a network failure: the next round may succeed
            worst = EXIT_LATER
        done += 1
        if rounds is not None and done >= rounds:
            return worst
        time.sleep(args.every)


def _monitor_once(
    session: server.Session, key: sm2.SM2PublicKey, state: State | None, path: str
) -> State:
    response = _get(session, "/api/ledger/heads/latest")
    if response.status_code == 404:
        none_yet = server.refusal(response)  # a platform that has not signed a head yet
        raise CLIError(none_yet.zh, none_yet.en, EXIT_LATER)
    server.refuse_unless_ok(response)
    head = check_head(_body(response), key, source=LATEST)
    _warn_if_stale(head, response)
    if state is None:
        state = State.start(key, session.server.url)
    last = state.latest
    if last is None:
        _pin(state, head, path)
        output.say(
            f"OK 首次固定 / first head pinned: {describe(head)} in {path}\n"
            "说明：首次固定的树头无从比较；可与他人（如监管部门）固定的树头比较：ggzy-bid log compare"
            " / note: a first head has nothing to be checked against; compare it with a head "
            "someone else pinned (e.g. the regulator's): ggzy-bid log compare"
        )
        return state
    _check_extends(session, last, head)
    if head == last or is_older(head, last):
        if is_older(head, last):
            output.warn(
                f"平台给出的树头早于已固定的（{describe(head)}），未固定：可能是缓存",
                f"the platform served a head older than the one pinned ({describe(head)}); "
                "not pinned: a cache may be in the way",
            )
        output.say(f"OK 日志一致 / log consistent: {describe(last)} (unchanged)")
        return state
    _pin(state, head, path)
    output.say(
        f"OK 日志一致 / log consistent: {describe(head)} extends your pinned head of size "
        f"{last['tree_size']}; pinned in {path}"
    )
    return state


def _warn_if_stale(head: Mapping[str, Any], response: requests.Response) -> None:
    """Heads are signed every minute: a latest head long older than the platform's own clock
    (its Date header; never this machine's) means the platform stopped signing, or shows an
    old view of its log to this client."""
    try:
        now = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
        late = now - dt.datetime.fromisoformat(str(head["timestamp"]))
    except (TypeError, ValueError):  # no Date header, or one without a zone: nothing to say
        return
    if late > STALE_AFTER:
        minutes = round(late.total_seconds() / 60)  # the Date header has whole seconds
        output.warn(
            f"平台的最新树头已是 {minutes} 分钟前签发的（应每分钟签发）：平台可能停止了签发，"
            "或向你展示的是旧的日志；请告知交易中心，必要时告知监管部门",
            f"the platform's latest head was signed {minutes} minutes ago (heads are signed "
            "every minute): the platform may have stopped signing, or shows you an old view of "
            "its log; tell the trading centre, and the regulator if it lasts",
        )


Labels = tuple[str, str]  # how the older and the newer head are named when printed
MONITORED: Labels = ("pinned", "latest")


def _check_extends(
    session: server.Session,
    last: Mapping[str, Any],
    head: Mapping[str, Any],
    *,
    labels: Labels = MONITORED,
) -> None:
    """Raise the inconsistency, with both heads, unless ``head`` extends ``last``."""
    first, second = int(last["tree_size"]), int(head["tree_size"])
    if second < first:
        _raise_inconsistent(
            "回滚：平台的树比已固定的小",
            "ROLLBACK: the platform's tree is smaller than the one pinned",
            last,
            head,
            labels,
        )
    if second == first and head["root_hash"] != last["root_hash"]:
        _raise_inconsistent(
            "分叉：同样大小，根哈希不同",
            "FORK: the same size with a different root",
            last,
            head,
            labels,
        )
    if second == first or first == 0:
        if not consistent(last, head, []):
            _raise_inconsistent(
                "已固定的空树头无效",
                "the pinned empty head has a wrong root",
                last,
                head,
                labels,
            )
        return
    response = _get(session, "/api/ledger/consistency", first=first, second=second)
    answer = _body(response) if response.status_code == 200 else None
    proof = answer.get("proof") if isinstance(answer, dict) else None
    if consistent(last, head, proof):
        return
    if response.status_code == 200:
        why_zh, why_en = "一致性证明无效", "the consistency proof does not verify"
    else:  # a platform that cannot prove its log extends what it signed before
        why_zh = f"平台拒绝给出一致性证明（HTTP {response.status_code}）"
        why_en = f"the platform refused the consistency proof (HTTP {response.status_code})"
    _raise_inconsistent(
        f"日志在大小 {first} 与 {second} 之间被改写或分叉（{why_zh}）",
        f"the log was rewritten or forked between size {first} and {second} ({why_en})",
        last,
        head,
        labels,
    )


def _raise_inconsistent(
    zh: str, en: str, older: Mapping[str, Any], newer: Mapping[str, Any], labels: Labels
) -> None:
    output.say(
        f"不一致 / INCONSISTENT: {zh} / {en}\n  {labels[0]}: {describe(older)}\n"
        f"  {labels[1]}: {describe(newer)}\n"
        "两个树头都由平台签名，不能同时为真：请把下面两行交给监管部门 / both heads are signed by "
        f"the platform and cannot both be true: give the regulator these two lines\n"
        f"{evidence(older)}\n{evidence(newer)}"
    )
    raise CLIError(
        f"{zh}；已固定的树头未改动",
        f"{en}; the pinned heads are left as they were",
        EXIT_INVALID,
    )


def _pin(state: State, head: Mapping[str, Any], path: str) -> None:
    state.pin(head)
    save_state(path, state)


# --- log compare: gossip -------------------------------------------------------------------


def run_log_compare(args: argparse.Namespace) -> int:
    state = load_state(args.state)
    if state is None or state.latest is None:
        raise CLIError(
            f"状态文件 {args.state} 不存在或没有树头：请先运行 ggzy-bid log monitor",
            f"the state file {args.state} does not exist or pins no head: run ggzy-bid log "
            "monitor first",
        )
    key = state.key()
    try:
        other = check_head(
            _json_file(args.head, "树头", "a tree head"), key, source=("对方的树头", "their head")
        )
    except HeadProblem as exc:  # an unsigned head is no evidence of anything
        raise CLIError(exc.zh, exc.en) from None
    size = int(other["tree_size"])
    same = state.at_size(size)
    if same is not None:
        if same["root_hash"] != other["root_hash"]:
            return _inconsistent(
                "分叉：对方的树头与你固定的树头大小相同、根哈希不同，不能同时为真",
                "FORK: their head and your pinned head have the same size and different roots; "
                "they cannot both be true",
                same,
                other,
            )
        output.say(f"OK 一致 / consistent: their head is the one you pinned ({describe(same)})")
        return EXIT_OK
    if not (args.server or args.profile):
        output.say(
            f"说明：你未固定大小为 {size} 的树头，离线无法判断；加 --server URL 获取一致性证明，或运行 "
            f"ggzy-bid log monitor / note: you pinned no head of size {size}, so this cannot be "
            "told offline: add --server URL to fetch a consistency proof, or run ggzy-bid log "
            "monitor"
        )
        return EXIT_LATER
    mine = state.nearest(size)
    if size < int(mine["tree_size"]):
        _check_extends(_session(args), other, mine, labels=("theirs", "yours"))
    else:
        _check_extends(_session(args), mine, other, labels=("yours", "theirs"))
    output.say(
        f"OK 一致 / consistent: their head ({describe(other)}) and your pinned head "
        f"({describe(mine)}) are one log"
    )
    return EXIT_OK
