"""Why a bid is refused: stable codes with bilingual reasons."""

from __future__ import annotations

from ggzy.errors import DomainError

MAX_PART_BYTES = 16 * 1024 * 1024  # one PATCH; nginx allows 16 MB bodies
MAX_BID_BYTES = 8 * 1024 * 1024 * 1024

REASONS = {
    "not_bidder": "只有投标人可以投标 / Only a bidder organisation can bid",
    "not_accepting": "该标段当前不接收投标文件 / This section is not accepting bids now",
    "late": "已超过投标截止时间，投标文件未在截止前完整送达，不予接收 [E27, L28] / The bid deadline "
    "has passed: the bid was not fully received before it and is refused [E27, L28]",
    "too_large": "投标文件过大 / The bid is too large",
    "length_mismatch": "上传内容超出声明的长度 / More bytes were sent than the upload declared",
    "not_sealed": "只接收加密的投标文件 [E26] / Only sealed (encrypted) bids are accepted [E26]",
    "wrong_section": "投标文件不是为该标段加密的 / The bid was sealed for another section",
    "wrong_bidder": "投标文件中的投标人与上传单位不符 / The bid names another bidder",
    "no_key": "本单位尚未绑定SM2密钥 / Your organisation has no bound SM2 key",
    "wrong_key": "投标文件不是用本单位当前绑定的密钥签名的 / The bid is not signed with your "
    "organisation's bound key",
    "bad_signature": "投标文件签名无效 / The bid's signature is invalid",
    "no_opening_recipient": "投标文件未加密给本标段的开标密钥 / The bid is not sealed to this "
    "section's opening key",
    "second_bid": "本单位在该标段已有有效投标，如需更换请替换它（ggzy-bid submit --replace，或在上传页面"
    "重新上传） / Your organisation already has a live bid in this section: replace it "
    "(ggzy-bid submit --replace, or upload again on the section's upload page)",
    "bad_replace": "要替换的投标不存在或已失效 / The bid to replace is not your live bid",
}


class Refusal(Exception):
    """A bid refused for a reason in ``REASONS`` (plus detail); see ``services``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    @property
    def message(self) -> str:
        return REASONS[self.code] + (f": {self.detail}" if self.detail else "")

    def as_domain_error(self) -> DomainError:
        return DomainError(self.message, code=self.code)
