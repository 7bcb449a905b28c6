"""Signed tree heads as the bidder's tool checks them, and the heads it has pinned.

A head is the platform's signed statement "the public log has ``tree_size`` entries and this
root" (``ggzy_core.tree_head``). Two heads that cannot both be true — a smaller size than one
already seen (rollback), the same size with another root (fork), or a larger one that the
platform cannot prove extends the older (rewritten) — prove the platform misbehaved: both are
signed. The monitor keeps every head it accepted in a state file so that the next run, a
receipt's proof or someone else's head can be held against them.

The state file (JSON, written to a temporary file and renamed, so a crash never leaves half
of it) holds the platform key it was pinned with — a head is only compared with heads signed
by the same key — and the heads, oldest first: the first one ever pinned and the last
``KEEP_LAST`` (a monitor run every minute for years stays a few hundred kilobytes).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ggzy_core import merkle, tree_head
from ggzy_core.gm import sm2
from ggzy_core.gm.errors import GMError

from . import files, output
from .errors import EXIT_INVALID, CLIError

STATE_FORMAT = "ggzy-bid-log-state/1"
KEEP_LAST = 1000
_HEX_HASH = re.compile(r"[0-9a-f]{64}\Z")
_MAX_PROOF = 64  # a proof for any tree of fewer than 2**64 leaves is shorter


class HeadProblem(CLIError):
    """A head (or proof) that does not check out: the answer is "no" (exit 1)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh, en, EXIT_INVALID)


def describe(head: Mapping[str, Any]) -> str:
    """One line a person can compare by eye with a head someone else read out."""
    return (
        f"size {head.get('tree_size')} root {head.get('root_hash')} "
        f"signed {output.beijing(str(head.get('timestamp', '')))}"
    )


def evidence(head: Mapping[str, Any]) -> str:
    """The whole signed head, one line: with another it is the proof to give the regulator."""
    return json.dumps(dict(head), ensure_ascii=False, sort_keys=True)


Source = tuple[str, str]  # what the head is, in Chinese and English ("你的树头", "your head")


def check_head(
    head: Any, key: sm2.SM2PublicKey, *, source: Source, signature: bool = True
) -> dict[str, Any]:
    """``head`` if it is a well-formed head signed by ``key``; else a ``HeadProblem``.
    ``signature=False`` checks all but the signature (an SM2 verification takes tens of
    milliseconds in pure Python: a state's thousand heads are checked when they are used)."""
    zh, en = source
    if not isinstance(head, Mapping) or head.get("format") != tree_head.TREE_HEAD_FORMAT:
        raise HeadProblem(
            f"{zh} 不是签名树头（格式应为 {tree_head.TREE_HEAD_FORMAT}）",
            f"{en} is not a signed tree head (format {tree_head.TREE_HEAD_FORMAT})",
        )
    size, root = head.get("tree_size"), head.get("root_hash")
    if type(size) is not int or size < 0 or not isinstance(root, str) or not _HEX_HASH.match(root):
        raise HeadProblem(
            f"{zh} 的树大小或根哈希格式错误", f"{en} has a malformed tree size or root hash"
        )
    if _moment(head.get("timestamp")) is None:
        raise HeadProblem(f"{zh} 的时间格式错误", f"{en} has a malformed timestamp")
    if head.get("key_fingerprint") != key.fingerprint():
        raise HeadProblem(
            f"{zh} 不是用该平台公钥签名的（指纹 {head.get('key_fingerprint')}，应为 "
            f"{key.fingerprint()}）：请核对平台公钥；若平台更换了密钥，请用新公钥另建状态文件",
            f"{en} was not signed with this platform key (fingerprint "
            f"{head.get('key_fingerprint')}, expected {key.fingerprint()}): check the platform "
            "key; if the platform changed its key, start a new state file with the new key",
        )
    if not signature:
        return dict(head)
    try:
        signed = tree_head.verify_tree_head(head, key)
    except (ValueError, TypeError, GMError):
        signed = False
    if not signed:
        raise HeadProblem(
            f"{zh} 的平台签名无效：该树头不是平台签发的，或已被改动",
            f"{en}'s platform signature does NOT verify: the platform did not sign this "
            "head, or it was changed",
        )
    return dict(head)


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def is_older(head: Mapping[str, Any], than: Mapping[str, Any]) -> bool:
    """Signed before ``than`` (a stale head: a cache, or a platform showing the past)."""
    mine, theirs = _moment(head.get("timestamp")), _moment(than.get("timestamp"))
    return mine is not None and theirs is not None and mine < theirs


def proof_hashes(value: Any) -> list[bytes] | None:
    """The hex hashes of a proof as bytes; ``None`` when it is not a bounded list of them."""
    if not isinstance(value, list) or len(value) > _MAX_PROOF:
        return None
    if not all(isinstance(item, str) and _HEX_HASH.match(item) for item in value):
        return None
    return [bytes.fromhex(item) for item in value]


def consistent(older: Mapping[str, Any], newer: Mapping[str, Any], proof: Any) -> bool:
    """RFC 9162 §2.1.4.2: the tree of ``newer`` contains the tree of ``older`` unchanged."""
    first, second = int(older["tree_size"]), int(newer["tree_size"])
    first_root = bytes.fromhex(str(older["root_hash"]))
    second_root = bytes.fromhex(str(newer["root_hash"]))
    if first == 0:  # the empty tree is the start of every tree, if it is the empty tree
        return first_root == merkle.EMPTY_ROOT
    if first == second:
        return first_root == second_root
    hashes = proof_hashes(proof)
    if hashes is None or first > second:
        return False
    try:
        return merkle.verify_consistency(
            first=first,
            second=second,
            first_root=first_root,
            second_root=second_root,
            proof=hashes,
        )
    except ValueError:
        return False


@dataclass
class State:
    """The heads this machine has accepted, and the key they were signed with."""

    platform_key_pem: str
    key_fingerprint: str
    server: str | None = None
    heads: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, key: sm2.SM2PublicKey, server: str | None) -> State:
        return cls(key.to_pem().decode(), key.fingerprint(), server, [])

    path: str = ""
    _vouched: set[int] = field(default_factory=set, repr=False)
    _key: sm2.SM2PublicKey | None = field(default=None, repr=False)

    @property
    def latest(self) -> dict[str, Any] | None:
        return self._vouch(self.heads[-1]) if self.heads else None

    def _vouch(self, head: dict[str, Any]) -> dict[str, Any]:
        """``head``, once its signature verifies: a state file edited by hand (or by malware)
        must not vouch for a head the platform never signed."""
        if id(head) not in self._vouched:
            number = next(n for n, pinned in enumerate(self.heads, 1) if pinned is head)
            where = (f"{self.path} 中第 {number} 个树头", f"head {number} in {self.path}")
            check_head(head, self.key(), source=where)
            self._vouched.add(id(head))
        return head

    def key(self) -> sm2.SM2PublicKey:
        if self._key is None:
            self._key = sm2.load_public_key(self.platform_key_pem.encode())
        return self._key

    def pin(self, head: Mapping[str, Any]) -> None:
        """Pin a head the caller has verified."""
        pinned = dict(head)
        self.heads.append(pinned)
        self._vouched.add(id(pinned))
        if len(self.heads) > KEEP_LAST + 1:
            # The first head anchors every later one (trust on first use): it stays.
            self.heads = [self.heads[0], *self.heads[-KEEP_LAST:]]

    def at_size(self, size: int) -> dict[str, Any] | None:
        found = next((h for h in reversed(self.heads) if h["tree_size"] == size), None)
        return self._vouch(found) if found is not None else None

    def nearest(self, size: int) -> dict[str, Any]:
        """The pinned head to prove ``size`` against: the smallest at least as large, else
        the largest (all pinned heads are consistent with one another, so any one will do;
        the nearest gives the shortest proof)."""
        larger = [h for h in self.heads if h["tree_size"] >= size]
        if larger:
            return self._vouch(min(larger, key=lambda h: int(h["tree_size"])))
        return self._vouch(max(self.heads, key=lambda h: int(h["tree_size"])))

    def document(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "platform_key_pem": self.platform_key_pem,
            "key_fingerprint": self.key_fingerprint,
            "server": self.server,
            "heads": self.heads,
        }


def _unreadable(path: str, why_zh: str, why_en: str) -> CLIError:
    return CLIError(
        f"状态文件 {path} 无法使用（{why_zh}）：请指定 ggzy-bid log monitor 写的文件，"
        "或换一个新文件名重新开始",
        f"the state file {path} cannot be used ({why_en}): give the file ggzy-bid log monitor "
        "wrote, or a new file name to start afresh",
    )


def load_state(path: str) -> State | None:
    """The state in ``path``; ``None`` when there is no such file yet."""
    if not Path(path).exists():
        return None
    try:
        document = json.loads(files.read_bytes(path))
    except ValueError:
        raise _unreadable(path, "不是 JSON", "not JSON") from None
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise _unreadable(path, f"格式应为 {STATE_FORMAT}", f"its format is not {STATE_FORMAT}")
    heads, pem = document.get("heads"), document.get("platform_key_pem")
    if not isinstance(heads, list) or not isinstance(pem, str):
        raise _unreadable(path, "缺少树头或平台公钥", "no heads or no platform key")
    state = State(pem, str(document.get("key_fingerprint")), document.get("server"), heads, path)
    key = state.key()
    if key.fingerprint() != state.key_fingerprint:
        raise _unreadable(
            path, "平台公钥与其指纹不符", "its platform key does not match its fingerprint"
        )
    for number, head in enumerate(heads, 1):
        where = (f"{path} 中第 {number} 个树头", f"head {number} in {path}")
        check_head(head, key, source=where, signature=False)  # signatures: when used
    return state


def save_state(path: str, state: State) -> None:
    text = json.dumps(state.document(), ensure_ascii=False, indent=1)
    files.write_bytes(path, text.encode())


def pinned_key_matches(state: State, key: sm2.SM2PublicKey, path: str) -> None:
    if state.key_fingerprint != key.fingerprint():
        raise CLIError(
            f"状态文件 {path} 固定的是另一个平台公钥（指纹 {state.key_fingerprint}）：请用同一公钥，"
            "或为新公钥另建状态文件",
            f"the state file {path} pinned another platform key (fingerprint "
            f"{state.key_fingerprint}): use that key, or a new state file for the new key",
        )
