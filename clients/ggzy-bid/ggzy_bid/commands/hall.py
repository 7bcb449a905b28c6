"""``unlock``, ``confirm`` and ``share``: the bidder's (and key holder's) part in the hall.

The private key never leaves this machine: ``unlock`` unwraps the bid's content key from the
local .gbid and sends only that, inside the decryption window [E30]; ``confirm`` checks the
published reading against its SM3 before signing it; ``share`` opens the holder's sealed
share of the opening key locally and sends the share, to rescue a bid [E31] — only once the
host has started a rescue (the regulator's share first; centre and tenderee after it). For a
key its holders generated (mode "dkg") the share is the sum of the sub-shares the qualified
dealers sealed to this holder, each checked against its dealer's commitments first.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ggzy_core.gm import curve, dkg, envelope, shamir, sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.reading import reading_digest, reading_message
from ggzy_core.times import beijing_from_epoch_ms

from .. import files, output
from ..errors import EXIT_OK, CLIError
from ..passwords import ENV_VAR
from .submission import server_options, session_for

# The hall's stages and a bid's opening status, as a person reads them (the server sends the
# machine words; a raw "decrypting" or "sign_in" is not a message).
STAGES = {
    "waiting": ("等待开标", "waiting for the opening time"),
    "sign_in": ("签到", "sign-in"),
    "bidders": ("投标人名单", "bidder list"),
    "decryption": ("解密", "decryption"),
    "reading": ("唱标", "reading out the bids"),
    "confirmation": ("确认唱标结果", "confirmation of the reading"),
    "objections": ("异议", "objections"),
    "closed": ("已结束", "closed"),
    "failed": ("未开标（流标）", "no opening (failed)"),
}
OPENING_STATUS = {
    "pending": ("等待投标人解密", "waiting for the bidder's key"),
    "decrypting": ("密钥已接受，正在解密", "key accepted, decrypting"),
    "decrypted": ("已解密", "decrypted"),
    "failed": (
        "平台解密失败（可补救）",
        "the platform failed to decrypt it (a rescue is possible)",
    ),
    "revoked": ("已撤销（投标人未解密）[E31]", "revoked: not decrypted by the bidder [E31]"),
    "withdrawn": ("已撤回（非投标人原因未能解密）[E31]", "withdrawn: not decryptable [E31]"),
}


def _words(table: dict[str, tuple[str, str]], value: object) -> tuple[str, str]:
    return table.get(str(value), (str(value), str(value)))


def stage_context(hall: dict[str, Any]) -> str:
    """ "大厅当前阶段：解密，窗口截止 … / hall stage: decryption, window closes …" """
    zh, en = _words(STAGES, hall.get("stage"))
    deadline = hall.get("stage_deadline")
    if isinstance(deadline, int):
        at = beijing_from_epoch_ms(deadline)
        zh, en = f"{zh}，本阶段截止 {at}", f"{en}, this stage ends {at}"
    return f"大厅当前阶段：{zh} / hall stage: {en}"


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
    session = session_for(args)
    hall = session.json("GET", f"/api/halls/{args.section}")
    context = stage_context(hall)
    bid = hall.get("you", {}).get("bid")
    if bid is None and hall.get("stage") == "waiting":
        # Before the deadline the hall lists no bid at all, whose ever [E21].
        zh, en = _guide(hall)
        raise CLIError(f"{zh}；解密在开标后的解密窗口进行", f"{en}; you decrypt in its window")
    if bid is None:
        czh, _, cen = context.partition(" / ")
        raise CLIError(
            f"大厅中没有本单位可解密的投标（{czh}）：投标在开标后的投标人名单阶段列出，解密阶段"
            "开始后再运行本命令；如本单位未在截止前送达投标，则无需解密",
            f"the hall lists no bid of yours to unlock ({cen}): bids are listed after the "
            "deadline, at the bidder list stage; run this command once the decryption stage "
            "has started; if your organisation sent no bid before the deadline, there is "
            "nothing to unlock",
        )
    body = session.json(
        "POST",
        f"/api/halls/{args.section}/bids/{bid}/key",
        json={"content_key": content_key.hex()},
        retry=False,
        context=context,
    )
    zh, en = _words(OPENING_STATUS, body.get("status"))
    output.say(body.get("detail") or f"已提交解密密钥：投标 {bid} {zh} / key sent: bid {bid}: {en}")
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
    session = session_for(args)
    hall = session.json("GET", f"/api/halls/{args.section}")
    context = stage_context(hall)
    reading, published = hall.get("reading"), hall.get("reading_sm3", "")
    if hall.get("stage") != "confirmation":
        gzh, gen = _guide(hall)
        raise CLIError(f"现在不能确认：{gzh}", f"you cannot confirm now: {gen}")
    czh, _, cen = context.partition(" / ")
    if not reading:
        raise CLIError(
            f"唱标结果尚未公布（{czh}）：唱标结束、进入确认阶段后再运行本命令",
            f"the reading is not published yet ({cen}): run this command once the reading is "
            "over and the confirmation stage has started",
        )
    if reading_digest(reading) != published:
        raise CLIError(
            f"平台公布的唱标结果与其 SM3 摘要不符，未签名（{czh}）：请在大厅提出异议或联系主持人",
            f"the published reading does not match its SM3, so it was not signed ({cen}): "
            "raise an objection in the hall or call the host",
        )
    for row in reading["rows"]:
        values = row.get("values") or {}
        status = " / ".join(_words(OPENING_STATUS, row["status"]))
        output.say(f"  #{row['sequence']} {row['bidder']}  {status}  {values.get('price', '—')}")
    decision = "object" if args.object else "confirm"
    session.json(
        "POST",
        f"/api/halls/{args.section}/answer",
        json={"decision": decision, "signature": key.sign(reading_message(published)).hex()},
        retry=False,
        context=context,
    )
    output.say(f"已{'提出异议' if args.object else '确认'} / {decision}ed reading {published}")
    return EXIT_OK


def run_share(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    session = session_for(args)
    hall = session.json("GET", f"/api/halls/{args.section}")
    context = stage_context(hall)
    if hall.get("stage") != "decryption" or not hall.get("rescue_started"):
        # Shares exist for a rescue only [E27, E31]; the server refuses too, this says why first.
        czh, _, cen = context.partition(" / ")
        raise CLIError(
            "主持人尚未发起补救：开标密钥分片只在开标后的解密阶段、主持人为平台解密失败的投标"
            f"发起补救时提供，请届时再运行本命令（{czh}）",
            "the host has not started a rescue yet: shares are released only after the "
            "deadline, in the decryption stage, when the host starts a rescue of a bid the "
            f"platform failed to decrypt; run this command again then ({cen})",
        )
    sealed = session.json("GET", f"/api/halls/{args.section}/share", context=context)
    if sealed.get("mode") == "dkg":
        opened = combined_dkg_share(sealed, key)
    else:
        opened = shamir.open_share(bytes.fromhex(sealed["sealed_share"]), key)
    body = session.json(
        "POST",
        f"/api/halls/{args.section}/share",
        json={"share": opened.to_bytes().hex()},
        retry=False,
        context=context,
    )
    output.say(
        f"已提交分片 {sealed['index']}，已补救投标 {body['rescued']} 份 / share {sealed['index']} "
        f"given; bids rescued: {body['rescued']}"
    )
    if body.get("detail"):
        output.say(body["detail"])
    return EXIT_OK


def _commitment(text: object) -> curve.Point:
    """A Feldman commitment as the platform sends it: x‖y, 128 lower-case hex characters."""
    if not isinstance(text, str) or len(text) != 128:
        raise CLIError(
            "平台提供的承诺值格式错误：请联系交易中心",
            "a commitment the platform sent is malformed: call the trading centre",
        )
    try:
        return curve.check_public_point(curve.hex_to_point(text))
    except (GMError, ValueError):
        raise CLIError(
            "平台提供的承诺值不是 SM2 曲线上的点：请报告监管部门",
            "a commitment the platform sent is not a point on the SM2 curve: report it to the "
            "regulator",
        ) from None


def combined_dkg_share(release: dict[str, Any], key: sm2.SM2PrivateKey) -> shamir.Share:
    """A dealer-free key's holder share: open the sub-share each qualified dealer sealed to
    this holder, check it against that dealer's commitments, and add them up
    (docs/envelope.md, "Opening key"). The platform checked them at the ceremony; checking
    again here names the dealer if one was changed since, instead of a refused share."""
    index = int(release["index"])
    sub_shares, commitments = [], []
    for dealing in release.get("dealings") or []:
        dealer = dealing.get("dealer")
        points = [_commitment(text) for text in dealing.get("commitments") or []]
        share = shamir.open_share(bytes.fromhex(str(dealing.get("sealed_share", ""))), key)
        if share.index != index or not dkg.sub_share_is_valid(share, points):
            raise CLIError(
                f"持有人 {dealer} 分发给本单位的子分片未通过承诺值校验，未提交分片：请报告监管部门",
                f"the sub-share dealt to you by holder {dealer} fails its commitments, so no "
                "share was given: report it to the regulator",
            )
        sub_shares.append(share)
        commitments.append(points)
    if not sub_shares:
        raise CLIError(
            "平台没有提供合格分发者的子分片，无法组合本单位的分片：请联系交易中心",
            "the platform gave no qualified dealer's sub-share, so your share cannot be "
            "combined: call the trading centre",
        )
    combined = dkg.combine_sub_shares(sub_shares)
    if not dkg.holder_share_is_valid(combined, commitments):
        raise CLIError(
            "组合后的分片与合格分发者的承诺值不符，未提交：请报告监管部门",
            "the combined share does not match the qualified dealers' commitments, so it was "
            "not given: report it to the regulator",
        )
    return combined
