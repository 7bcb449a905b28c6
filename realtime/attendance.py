"""What signing in to the hall means, in one place: the API, the page and the bidder's tool
all show these words (docs/decisions.md, "Sign-in").

Signing in is attendance (到场), not a gate. The law lets every bidder attend the opening
[L34, E29] but makes no bid depend on it: a bid's fate at the opening is decided by its
decryption alone [E30, E31]. So a bidder signs in any time from the opening (the deadline)
until the hall closes, the time goes into the opening record, and a bidder that never signs
in is recorded as "未签到" and may still decrypt, answer the reading and object. Sign-in
never opens before the deadline: a list of who signed in would tell who bid [E21, L22]."""

from __future__ import annotations

import datetime as dt

from ggzy_core.times import beijing

SIGN_IN_RULE = (
    "签到表示出席本次开标，开标开始后至开标结束前均可签到，签到时间记入开标记录；签到不是解密的"
    "前提，未签到的投标人仍可解密、确认唱标结果和提出异议，其投标不受影响，开标记录载明“未签到”。"
    " / Signing in records that you attend this opening: sign in any time from the opening "
    "until the hall closes, and the time goes into the opening record. It is not a condition "
    "of decryption: a bidder that does not sign in can still decrypt, answer the reading and "
    'object, its bid is unaffected, and the record says "not signed in".'
)


def signed_in_message(signed_in_at: dt.datetime) -> str:
    """What the bidder reads once signed in (again: signing in twice keeps the first time)."""
    when = beijing(signed_in_at, milliseconds=False)
    return (
        f"已签到（{when}），签到时间记入开标记录；主持人开启解密后，请在解密时限内解密本单位的投标 / "
        f"Signed in at {when}; the time goes into the opening record. Once the host opens "
        "decryption, decrypt your bid within the window."
    )
