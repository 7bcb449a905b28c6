"""``opening-key ceremony`` and ``opening-key status``: a key holder's step in the dealer-free
opening key of a section (docs/envelope.md, "Opening key").

The holders (the trading centre, the regulator and the tenderee, indices 1..3) generate the
section's opening key together, through the platform, so that it never exists whole: each
holder *deals* (random polynomial, Feldman commitments, one sub-share sealed to every holder's
bound SM2 key, signed), then *verifies* the sub-shares sealed to it against their dealers'
commitments and posts its verdict (a complaint reveals the bad sub-share as evidence). The
platform sees only commitments and ciphertexts; the opening public key is the sum of the
qualified dealers' first commitments.

Everything secret stays in this process: the polynomial lives only inside ``dkg.deal``, the
sub-shares are opened and checked here, and nothing secret is printed or written. Running the
same command again resumes where it stopped (the platform records who has dealt/verified).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ggzy_core.gm import dkg, sm2
from ggzy_core.gm.errors import GMError, MalformedData
from ggzy_core.gm.shamir import Share
from ggzy_core.times import beijing_from_epoch_ms

from .. import files, output
from ..errors import EXIT_LATER, EXIT_OK, CLIError
from ..passwords import ENV_VAR
from ..server import Session, refuse_unless_ok
from .submission import server_options, session_for

DEFAULT_WAIT = 600.0
FIRST_POLL = 2.0
LAST_POLL = 10.0
# Replaced in tests that drive the loop in-process (no sleeping, a clock they move).
sleep: Callable[[float], None] = time.sleep
monotonic: Callable[[], float] = time.monotonic
wall_ms: Callable[[], float] = lambda: time.time() * 1000  # noqa: E731

STATUS = {
    "collecting": ("收集中", "collecting"),
    "complete": ("已完成", "complete"),
    "failed": ("失败", "failed"),
}


@dataclass(frozen=True)
class Holder:
    index: int
    organisation: str
    key: sm2.SM2PublicKey


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "opening-key",
        help="开标密钥分布式生成（密钥持有人）/ the dealer-free opening key (key holders)",
    )
    steps = group.add_subparsers(dest="step", metavar="STEP", required=True)
    ceremony = steps.add_parser(
        "ceremony",
        help="完成本单位在开标密钥生成中的步骤 / take your step in the opening key ceremony",
    )
    ceremony.add_argument("--section", required=True, metavar="CODE")
    ceremony.add_argument(
        "--key", required=True, metavar="KEY.pem", help="your organisation's bound SM2 key"
    )
    ceremony.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    ceremony.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for the other holders (default {DEFAULT_WAIT:.0f})",
    )
    server_options(ceremony)
    ceremony.set_defaults(handler=run_ceremony)

    status = steps.add_parser(
        "status", help="开标密钥生成的进展 / where the opening key ceremony stands"
    )
    status.add_argument("--section", required=True, metavar="CODE")
    server_options(status)
    status.set_defaults(handler=run_status)


def _path(section: str) -> str:
    return f"/api/sections/{section}/ceremony"


def _deadline(state: dict[str, Any]) -> str:
    deadline = state.get("deadline_ms")
    return beijing_from_epoch_ms(deadline) if isinstance(deadline, int) else "?"


def _rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    return list(state.get("holders") or [])


def _row(state: dict[str, Any], index: int) -> dict[str, Any]:
    return next(row for row in _rows(state) if row.get("index") == index)


def _names(rows: list[dict[str, Any]]) -> str:
    return "、".join(f"{row.get('organisation')} ({row.get('index')})" for row in rows) or "—"


def listed_holders(state: dict[str, Any]) -> dict[int, Holder]:
    """The holders as the platform lists them, each key checked against its fingerprint
    (and the dealings' dealers among them)."""
    holders: dict[int, Holder] = {}
    for row in _rows(state):
        index, pem = row.get("index"), row.get("public_key_pem")
        if not isinstance(index, int) or not 1 <= index <= 255 or index in holders:
            raise _malformed(f"holder index {index!r}")
        if not isinstance(pem, str):
            raise _malformed(f"the key of holder {index}")
        key = sm2.load_public_key(pem.encode())
        if key.fingerprint() != row.get("key_fingerprint"):
            raise _malformed(f"the key of holder {index} does not match its fingerprint")
        holders[index] = Holder(index, str(row.get("organisation", "")), key)
    for entry in state.get("dealings") or []:
        if not isinstance(entry, dict) or entry.get("dealer") not in holders:
            raise _malformed("a dealing of no listed holder")
    return holders


def _malformed(what: str) -> CLIError:
    return CLIError(
        f"平台返回的开标密钥生成信息有误（{what}）：未做任何操作，请联系交易中心",
        f"the platform's ceremony data is wrong ({what}): nothing was done; call the trading "
        "centre",
    )


def own_index(state: dict[str, Any], holders: dict[int, Holder], key: sm2.SM2PrivateKey) -> int:
    """This organisation's holder index; refuses a non-holder and a key that is not the one
    the platform lists for it (the sub-shares are sealed to the listed key)."""
    you = state.get("you")
    if not isinstance(you, int) or you not in holders:
        raise CLIError(
            f"本单位不是标段 {state.get('section')} 开标密钥的持有人，没有需要完成的步骤"
            "（持有人为交易中心、监管部门和招标人）",
            f"your organisation holds no share of section {state.get('section')}'s opening key, "
            "so there is no step for you (the holders are the trading centre, the regulator and "
            "the tenderee)",
        )
    listed = holders[you].key
    if listed != key.public_key():
        raise CLIError(
            f"--key 不是本单位为本次开标密钥生成绑定的密钥（平台登记的指纹 {listed.fingerprint()}"
            "）：请使用该密钥；如已更换密钥，请招标人重新发起开标密钥生成",
            f"--key is not the key your organisation had bound for this ceremony (the platform "
            f"lists fingerprint {listed.fingerprint()}): use that key; if the key was replaced, "
            "ask the tenderee to restart the ceremony",
        )
    return you


def run_ceremony(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    session = session_for(args)
    state = session.json("GET", _path(args.section))
    if not state.get("ceremony"):
        raise CLIError(
            f"标段 {args.section} 的开标密钥生成尚未发起：招标人（或代理机构）在标段管理页面发起后，"
            "再运行本命令",
            f"the opening key ceremony of section {args.section} has not been started: run this "
            "command once the tenderee (or its agency) has started it on the section's page",
        )
    holders = listed_holders(state)
    you = own_index(state, holders, key)
    step = Step(session=session, section=args.section, key=key, you=you, holders=holders)
    return step.run(state, wait=max(0.0, args.wait))


@dataclass
class Step:
    """One holder's run: deal once, wait for the others, verify once, report."""

    session: Session
    section: str
    key: sm2.SM2PrivateKey
    you: int
    holders: dict[int, Holder]
    tried_dealing: bool = False
    waiting_for: str = ""

    def run(self, state: dict[str, Any], *, wait: float) -> int:
        until = monotonic() + wait
        delay = FIRST_POLL
        while True:
            state = self.act(state)
            if state.get("status") != "collecting":
                return self.finish(state)
            left = until - monotonic()
            if left <= 0:
                return self.out_of_time(state)
            self.say_waiting(state, left)
            sleep(min(delay, left))
            delay = min(LAST_POLL, delay * 1.5)
            state = self.fetch()

    def say_waiting(self, state: dict[str, Any], left: float) -> None:
        """Say once what the run waits for, and again when that changes."""
        mine = _row(state, self.you)
        if not mine.get("verified"):
            rows = [row for row in _rows(state) if not row.get("dealt")]
            zh, en = f"等待 {_names(rows)} 分发", f"waiting for {_names(rows)} to deal"
        else:
            rows = [row for row in _rows(state) if row.get("dealt") and not row.get("verified")]
            zh, en = f"等待 {_names(rows)} 验证", f"waiting for {_names(rows)} to verify"
        if en != self.waiting_for:
            self.waiting_for = en
            output.notice(
                f"{zh}（最多再等 {left:.0f} 秒；中断后重新运行同一命令即可继续）",
                f"{en} (for up to {left:.0f} s more; interrupting and running the same "
                "command again later is safe)",
            )

    def fetch(self) -> dict[str, Any]:
        state: dict[str, Any] = self.session.json("GET", _path(self.section))
        # The platform cannot swap a holder's key in the middle of the ceremony unnoticed.
        if listed_holders(state) != self.holders:
            raise _malformed("the holders' keys changed during the ceremony")
        return state

    def act(self, state: dict[str, Any]) -> dict[str, Any]:
        if state.get("status") != "collecting":
            return state
        mine = _row(state, self.you)
        if not (mine.get("dealt") or mine.get("excluded") or self.tried_dealing):
            self.tried_dealing = True  # once a run: a refusal (after the deadline) stands
            state = self.deal(state)
            mine = _row(state, self.you)
        if mine.get("verified") or not self.dealing_is_over(state):
            return state
        # Refused (409: this clock ran ahead of the platform's at the deadline)? The loop
        # polls and tries again, at most once a poll.
        return self.verify(state)

    @staticmethod
    def dealing_is_over(state: dict[str, Any]) -> bool:
        """Every holder dealt; or the deadline passed: a holder who never dealt is marked
        excluded then (and the deadline shown moves on to the end of the verification
        grace), or, before the platform marked it, this machine's clock says so."""
        rows = _rows(state)
        silent = any(row.get("excluded") and not row.get("dealt") for row in rows)
        return all(row.get("dealt") for row in rows) or silent or wall_ms() >= _deadline_ms(state)

    def deal(self, state: dict[str, Any]) -> dict[str, Any]:
        dealing = dkg.deal(
            section=self.section,
            ceremony=str(state["ceremony"]),
            dealer=self.you,
            threshold=int(state["threshold"]),
            recipients={index: holder.key for index, holder in self.holders.items()},
        )
        document = dealing.document()
        signature = self.key.sign(dkg.dealing_message(document)).hex()
        body = {"document": document, "signature": signature}
        # Retrying is safe: a second dealing is refused (409), and the platform keeps the first.
        answer = self.session.request("POST", f"{_path(self.section)}/dealing", json=body)
        if answer.status_code == 409:
            return self.fetch()  # dealt already (a lost answer), or the ceremony moved on
        refuse_unless_ok(answer)
        output.say(
            f"已分发：承诺值和 {len(self.holders)} 份加密子分片已提交 / dealt: commitments and "
            f"{len(self.holders)} sealed sub-shares sent"
        )
        result: dict[str, Any] = answer.json()
        return result

    def verify(self, state: dict[str, Any]) -> dict[str, Any]:
        complaints, verified = self.check_dealings(state)
        document = dkg.Verification(
            section=self.section,
            ceremony=str(state["ceremony"]),
            holder=self.you,
            complaints=tuple(complaints),
        ).document()
        signature = self.key.sign(dkg.verification_message(document)).hex()
        # Retrying is safe here too: a second verification is refused (409).
        answer = self.session.request(
            "POST",
            f"{_path(self.section)}/verification",
            json={"document": document, "signature": signature},
        )
        if answer.status_code == 409:
            return self.fetch()
        refuse_unless_ok(answer)
        say_verified(verified, complaints, self.holders)
        result: dict[str, Any] = answer.json()
        return result

    def check_dealings(self, state: dict[str, Any]) -> tuple[list[dkg.Complaint], list[int]]:
        """Open and check every sub-share sealed to this holder; a complaint for each that
        does not open or does not match its dealer's commitments."""
        complaints: list[dkg.Complaint] = []
        verified: list[int] = []
        for entry in state.get("dealings") or []:
            dealer = int(entry["dealer"])
            share, reason = self.open_checked(state, entry)
            if reason is None:
                verified.append(dealer)
            else:
                # The bad sub-share is the evidence the platform checks; its dealer is then
                # excluded, so revealing it tells nothing about the opening key [E27].
                complaints.append(dkg.Complaint(dealer, reason, share))
        return complaints, verified

    def open_checked(
        self, state: dict[str, Any], entry: dict[str, Any]
    ) -> tuple[Share | None, str | None]:
        dealer = int(entry["dealer"])
        signer = self.holders.get(dealer)
        document = entry.get("document") or {}
        if signer is None or not _signed_by(signer.key, document, entry.get("signature")):
            # The platform checked this signature when it took the dealing: a dealing that
            # fails it now was changed after — nothing here can be trusted.
            raise CLIError(
                f"平台显示的持有人 {dealer} 的分发数据没有该持有人的有效签名：已停止，未提交"
                "验证；请报告监管部门",
                f"the dealing of holder {dealer} shown by the platform is not signed by that "
                "holder's key: stopped without posting a verification; report it to the regulator",
            )
        try:
            dealing = dkg.Dealing.from_document(document)
            if dealing.dealer != dealer:
                raise MalformedData("the dealing names another dealer")
            dkg.check_dealing(
                dealing,
                section=self.section,
                ceremony=str(state["ceremony"]),
                holders=set(self.holders),
                threshold=int(state["threshold"]),
            )
            share = dkg.open_sub_share(dealing, self.you, self.key)
        except GMError:
            return None, dkg.UNDECRYPTABLE
        if not dkg.sub_share_is_valid(share, dealing.commitments):
            return share, dkg.FAILS_COMMITMENT
        return share, None

    def finish(self, state: dict[str, Any]) -> int:
        describe(state)
        if state.get("status") == "failed":
            raise CLIError(
                "开标密钥生成失败（合格的分发者少于门限）：招标人可重新发起（之后再运行本命令）"
                "或改用平台分发的密钥",
                "the opening key ceremony failed (fewer qualified dealers than the threshold): "
                "the tenderee may restart it (then run this command again) or choose the dealt "
                "key",
            )
        if not _row(state, self.you).get("verified"):
            self.check_own_share(state)
        return EXIT_OK

    def check_own_share(self, state: dict[str, Any]) -> None:
        """The ceremony closed without this holder's verification (at its deadline): check
        now, locally, the sub-shares the rescue will combine."""
        qualified = {
            row["index"] for row in _rows(state) if row.get("dealt") and not row.get("excluded")
        }
        entries = [e for e in state.get("dealings") or [] if e.get("dealer") in qualified]
        bad = [int(e["dealer"]) for e in entries if self.open_checked(state, e)[1] is not None]
        if bad:
            raise CLIError(
                f"来自持有人 {bad} 的子分片未通过承诺值校验，本单位的开标密钥分片将无法用于补救："
                "请立即联系交易中心和监管部门",
                f"the sub-shares from holder(s) {bad} fail their commitments, so your share of "
                "the opening key cannot be used in a rescue: call the trading centre and the "
                "regulator now",
            )
        output.say(
            f"已核对来自 {len(entries)} 个合格分发者的子分片，均有效 / checked the sub-shares "
            f"from the {len(entries)} qualified dealers: all valid"
        )

    def out_of_time(self, state: dict[str, Any]) -> int:
        describe(state)
        mine = _row(state, self.you)
        if mine.get("verified"):
            output.notice(
                "本单位的步骤已完成；其他持有人验证后或截止时间（"
                f"{_deadline(state)}）到达时开标密钥生成完成",
                "your part is done; the ceremony completes when the other holders have verified "
                f"or at its deadline ({_deadline(state)})",
            )
            return EXIT_OK
        missing = [row for row in _rows(state) if not row.get("dealt")]
        names = _names(missing)
        raise CLIError(
            f"等待超时：仍在等待 {names} 分发；截止时间 {_deadline(state)}。请稍后再次运行同一命令，"
            "将从中断处继续",
            f"stopped waiting: still waiting for {names} to deal; the ceremony's deadline is "
            f"{_deadline(state)}. Run the same command again later: it resumes where it stopped",
            EXIT_LATER,
        )


def _signed_by(key: sm2.SM2PublicKey, document: Any, signature: object) -> bool:
    try:
        return isinstance(document, dict) and key.verify(
            dkg.dealing_message(document), bytes.fromhex(str(signature))
        )
    except (GMError, TypeError, ValueError):
        return False


def _deadline_ms(state: dict[str, Any]) -> float:
    deadline = state.get("deadline_ms")
    return float(deadline) if isinstance(deadline, int) else float("inf")


def say_verified(
    verified: list[int], complaints: list[dkg.Complaint], holders: dict[int, Holder]
) -> None:
    names = _names([{"organisation": holders[i].organisation, "index": i} for i in verified])
    output.say(f"已验证来自 {names} 的子分片 / verified the sub-shares from {names}")
    for complaint in complaints:
        against = complaint.against
        name = holders[against].organisation if against in holders else "?"
        if complaint.reason == dkg.UNDECRYPTABLE:
            zh, en = "无法解密", "does not decrypt"
        else:
            zh, en = "未通过承诺值校验", "fails its commitments"
        output.say(
            f"已投诉 {name} ({against})：子分片{zh} / complaint against {name} ({against}): "
            f"the sub-share {en}"
        )


def describe(state: dict[str, Any]) -> None:
    """The ceremony on one screen (``status``, and at the end of ``ceremony``)."""
    if not state.get("ceremony"):
        output.say(
            f"标段 {state.get('section')} 的开标密钥生成尚未发起 / the opening key ceremony of "
            f"section {state.get('section')} has not been started"
        )
        if state.get("detail"):
            output.say(str(state["detail"]))
        return
    zh, en = STATUS.get(str(state.get("status")), (str(state.get("status")),) * 2)
    output.say(
        f"标段 {state.get('section')} 开标密钥生成 {state.get('ceremony')}：{zh}，门限 "
        f"{state.get('threshold')}，截止 {_deadline(state)} / section {state.get('section')} "
        f"opening key ceremony: {en}, threshold {state.get('threshold')}, deadline "
        f"{_deadline(state)}"
    )
    for row in _rows(state):
        output.say("  " + _holder_line(row, you=state.get("you")))
    key = state.get("opening_key_pem")
    if isinstance(key, str) and key:
        fingerprint = sm2.load_public_key(key.encode()).fingerprint()
        output.say(f"开标公钥指纹 / opening key fingerprint: {fingerprint}")
    if state.get("detail"):
        output.say(str(state["detail"]))


def _holder_line(row: dict[str, Any], *, you: object) -> str:
    marks_zh, marks_en = [], []
    for field, zh, en in (("dealt", "已分发", "dealt"), ("verified", "已验证", "verified")):
        if row.get(field):
            marks_zh.append(zh)
            marks_en.append(en)
    if row.get("excluded"):
        marks_zh.append(f"已排除：{row['excluded']}")
        marks_en.append(f"excluded: {row['excluded']}")
    state_zh = "、".join(marks_zh) or "尚未开始"
    state_en = ", ".join(marks_en) or "not started"
    me = "  ← 本单位 / you" if row.get("index") == you else ""
    return (
        f"{row.get('index')}. {row.get('organisation')} [{str(row.get('key_fingerprint'))[:16]}…] "
        f"{state_zh} / {state_en}{me}"
    )


def run_status(args: argparse.Namespace) -> int:
    session = session_for(args)
    describe(session.json("GET", _path(args.section)))
    return EXIT_OK
