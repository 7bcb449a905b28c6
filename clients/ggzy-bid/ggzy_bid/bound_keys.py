"""Is this signing key bound to my organisation? Asked before uploading (``submit``) and,
when a login is at hand, before sealing (``seal``), so a bidder learns it from the tool and
not from a refusal after the whole bid was sent.

The platform tells a bidder only its *own* organisation's keys (``GET /api/me``, then
``GET /api/organisations/<id>/keys``). What binding a new key does (docs/decisions.md): the
organisation's current key is retired, not deleted. Bids already received with it stay valid,
and their content keys are still wrapped to it — keep the old key file to unlock those bids
in the hall; a bid sealed with it but not yet received must be sealed again with the new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import CLIError
from .output import beijing
from .server import Session


@dataclass(frozen=True)
class Problem:
    zh: str
    en: str

    def error(self) -> CLIError:
        return CLIError(self.zh, self.en)


def organisation(session: Session) -> dict[str, Any]:
    me = session.json("GET", "/api/me")
    found = me.get("organisation")
    if not found:
        raise CLIError(
            "当前登录的账号不属于任何投标单位：请用本单位投标人账号登录（ggzy-bid login）",
            "the account logged in belongs to no bidder organisation: log in with your "
            "organisation's bidder account (ggzy-bid login)",
        )
    return dict(found)


def problem(session: Session, fingerprint: str, credit_code: str | None = None) -> Problem | None:
    """What is wrong with signing for my organisation with the key ``fingerprint`` (and, if
    given, as ``credit_code``), or None."""
    company = organisation(session)
    if credit_code is not None and credit_code != company["credit_code"]:
        return Problem(
            f"统一社会信用代码 {credit_code} 不是当前登录单位 {company['name']}（"
            f"{company['credit_code']}）的：请用本单位的代码封装，或登录该代码所属单位的账号",
            f"the credit code {credit_code} is not that of the organisation logged in, "
            f"{company['name']} ({company['credit_code']}): seal with your organisation's code, "
            "or log in as the organisation this code belongs to",
        )
    keys = session.json("GET", f"/api/organisations/{company['id']}/keys")
    active = next((k for k in keys if k["status"] == "active"), None)
    mine = next((k for k in keys if k["fingerprint"] == fingerprint), None)
    if mine is not None and mine["status"] == "active":
        return None
    where = session.server.endpoint(f"/accounts/organisations/{company['id']}/keys/")
    current = active["fingerprint"] if active else "无 / none"
    if mine is not None:
        retired = beijing(mine.get("retired_at") or "")
        return Problem(
            f"签名密钥 {fingerprint} 已于 {retired} 停用（本单位当前密钥：{current}）：请用当前"
            "绑定的密钥重新封装；用旧密钥封装且已送达的投标仍然有效，开标时仍须用旧密钥解密，"
            "请保留旧密钥文件",
            f"the signing key {fingerprint} was retired on {retired} (your organisation's "
            f"current key: {current}): seal the bid again with the currently bound key; bids "
            "already received with the old key stay valid and are unlocked in the hall with "
            "the old key, so keep its file",
        )
    return Problem(
        f"签名密钥 {fingerprint} 未绑定到本单位 {company['name']}（当前绑定：{current}）：请本单位"
        f"管理员在 {where} 绑定其公钥（用 ggzy-bid pubkey 密钥文件 --out 公钥.pem 导出）后再上传；"
        "绑定新密钥会停用当前密钥：已送达的投标仍然有效，尚未送达的须用新密钥重新封装",
        f"the signing key {fingerprint} is not bound to your organisation {company['name']} "
        f"(bound now: {current}): your organisation's manager binds its public key at {where} "
        "(export it with ggzy-bid pubkey KEY.pem --out PUB.pem), then upload; binding a new key "
        "retires the current one: bids already received stay valid, bids not yet received must "
        "be sealed again with the new key",
    )
