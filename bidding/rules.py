"""Why a bid is refused: stable codes with bilingual reasons."""

from __future__ import annotations

from ggzy.errors import DomainError

MAX_PART_BYTES = 16 * 1024 * 1024  # one PATCH; nginx allows 16 MB bodies
MAX_BID_BYTES = 8 * 1024 * 1024 * 1024

# Each reason says why and what to do next, in Chinese and in English.
REASONS = {
    "not_bidder": "只有投标人单位的人员可以投标，请使用本单位投标人账号登录 / Only a person of a "
    "bidder organisation can bid: log in with your organisation's bidder account",
    "not_accepting": "该标段当前不接收投标文件，请查看标段公告中的投标时间 / This section is not "
    "accepting bids now: see the section's announcement for the bidding period",
    "late": "已超过投标截止时间，投标文件未在截止前完整送达，不予接收，该标段已不能再投标 [E27, L28] / "
    "The bid deadline has passed: the bid was not fully received before it and is refused; no "
    "bid can be sent to this section any more [E27, L28]",
    "too_large": "投标文件过大，请压缩附件后重新封装 / The bid is too large: reduce the attached "
    "files and seal it again",
    "length_mismatch": "上传内容超出声明的长度，请重新开始上传 / More bytes were sent than the upload "
    "declared: start the upload again",
    "not_sealed": "只接收加密的投标文件，请用投标工具封装后再上传 [E26] / Only sealed (encrypted) bids "
    "are accepted: seal the bid with the bidder's tool, then upload it [E26]",
    "wrong_section": "投标文件不是为该标段加密的，请为本标段重新封装 / The bid was sealed for another "
    "section: seal it again for this one",
    "wrong_bidder": "投标文件中的投标人与上传单位不符，请用本单位信息重新封装 / The bid names another "
    "bidder: seal it again as your organisation",
    "no_key": "本单位尚未绑定SM2密钥，请先绑定密钥再封装投标文件 / Your organisation has no bound SM2 "
    "key: bind one, then seal the bid with it",
    # Binding a new key retires the old one (accounts.services.key_bind): bids already
    # received stay valid, but a bid sealed with the old key can no longer be sent.
    "wrong_key": "投标文件是用本单位已停用的密钥（{detail}）签名的：绑定新密钥后旧密钥即停用，"
    "已送达的投标仍然有效，但未送达的投标须用当前绑定的密钥重新封装后再上传 / The bid is signed with "
    "a key your organisation has retired ({detail}): binding a new key retires the old one; bids "
    "already received stay valid, but one not yet received must be sealed again with the "
    "currently bound key, then uploaded",
    "key_not_bound": "签名密钥（{detail}）未绑定到本单位：请本单位管理员在“单位密钥”页面 {where} "
    "绑定其公钥（ggzy-bid pubkey 密钥文件 --out 公钥.pem 导出），然后重新上传；注意绑定新密钥会"
    "停用本单位当前密钥，已送达的投标不受影响 / The key that signed the bid ({detail}) is not "
    "bound to your organisation: your organisation's manager binds its public key on the "
    "organisation's keys page {where} (export it with ggzy-bid pubkey KEY.pem --out PUB.pem), "
    "then upload again; binding a new key retires the current one, bids already received are "
    "not affected",
    "bad_signature": "投标文件签名无效，请重新封装 / The bid's signature is invalid: seal it again",
    "no_opening_recipient": "投标文件未加密给本标段的开标密钥，请用本标段的开标公钥重新封装 / The bid "
    "is not sealed to this section's opening key: seal it again with this section's opening key",
    "second_bid": "本单位在该标段已有有效投标 {detail}，一个标段只能有一份 [R34]；如需更换请替换它："
    "ggzy-bid submit 投标文件 --section 标段编号 --replace {detail}，或在上传页面重新上传 / Your "
    "organisation already has a live bid in this section, {detail}, and may have only one "
    "[R34]: replace it with ggzy-bid submit BID.gbid --section CODE --replace {detail}, or "
    "upload again on the section's upload page",
    "bad_replace": "要替换的投标不存在或已失效，请查看“我的投标” / The bid to replace is not your "
    "live bid: check your bids",
    # The upload itself (tus): termination, expiry, bounds.
    "empty_part": "PATCH请求没有内容，未保存任何数据；请从 Upload-Offset 处发送后续字节 / The PATCH "
    "carried no bytes and nothing was stored: send the next bytes from Upload-Offset",
    "terminated": "该上传已由本单位终止，已收到的部分已删除；如需投标请重新上传 / This upload was "
    "terminated by your organisation and its parts are deleted: to bid, start a new upload",
    "expired": "投标截止时该上传仍未完成，已作废，已收到的部分已删除，投标文件未送达 [E27, L28] / The "
    "upload was not finished by the bid deadline: it has expired, its parts are deleted and no "
    "bid was received [E27, L28]",
    "complete": "该上传已完成并已成为投标，不能终止；如需撤回投标请使用“撤回” / This upload is complete "
    "and is a bid now, so it cannot be terminated: withdraw the bid instead",
    "terminate_late": "投标截止后不能终止上传；未完成的上传在截止时自动作废并删除 / An upload cannot be "
    "terminated after the deadline: unfinished uploads expire and are deleted at the deadline",
    "open_quota": "本单位未完成的上传合计超过上限（配额）；请先完成其他上传，或终止（DELETE）不再需要的"
    "未完成上传，再开始本次上传 / Your organisation's open uploads together would exceed its quota: "
    "finish an open upload, or terminate (DELETE) one you no longer need, then start this one",
    "storage_full": "平台存储空间暂时不足，本段未保存；已收到的部分仍然保留，请稍后重新提交以续传 / The "
    "platform's storage is temporarily full and this part was not stored; what you sent before "
    "is kept: retry later and the upload resumes where it stopped",
}


class Refusal(Exception):
    """A bid refused for a reason in ``REASONS`` (plus detail); see ``services``."""

    def __init__(self, code: str, detail: str = "", **places: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.places = places

    @property
    def message(self) -> str:
        reason = REASONS[self.code]
        if "{detail}" in reason:  # the detail belongs inside both languages, not after them
            return reason.format(detail=self.detail, **self.places)
        return reason + (f": {self.detail}" if self.detail else "")

    def as_domain_error(self) -> DomainError:
        return DomainError(self.message, code=self.code)


class Gone(DomainError):
    """The upload is over and its parts are deleted (terminated, expired, refused): its
    address answers 410 Gone with the reason it ended."""


def refused(code: str, detail: str = "") -> DomainError:
    """A refusal that does not end the upload (nothing stored, nothing deleted): the client
    may correct its request, or retry later."""
    return Refusal(code, detail).as_domain_error()
