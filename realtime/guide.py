"""What each stage of the hall means to a person: where the hall is, what one can do now,
and what comes next and when — in Chinese and English, in one place.

The services' refusals, the snapshot (and so the page, the API and the websocket) and the
bidder's tool all say these words. The stage table with its on-entry actions
(realtime/stages.py) sits above the services; the words sit below them, so that a service
refusing an action can say why without importing the table's actions (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from ggzy import clock
from ggzy.errors import DomainError
from realtime.models import Hall, HallStage

S = HallStage

# The stages a hall goes through, in order (failed is the end of a hall that never opened).
ORDER: tuple[str, ...] = (
    S.WAITING,
    S.SIGN_IN,
    S.BIDDERS,
    S.DECRYPTION,
    S.READING,
    S.CONFIRMATION,
    S.OBJECTIONS,
    S.CLOSED,
)
# Stages in which the hall runs: bidders may sign in [E30].
RUNNING = frozenset(ORDER[1:-1])
# Stages with a window that the chronograph closes by itself when it runs out.
TIMED = frozenset({S.DECRYPTION, S.CONFIRMATION})
# Stages in which bidders may raise objections [R44].
OBJECTIONS_OPEN = frozenset({S.READING, S.CONFIRMATION, S.OBJECTIONS})


@dataclass(frozen=True)
class Words:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def when(moment: dt.datetime | None) -> Words:
    """A moment as a person reads it: Beijing time, with the zone named."""
    if moment is None:
        return Words("时间待定", "time not set")
    text = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return Words(f"{text} 北京时间", f"{text} Beijing time")


def where(hall: Hall) -> Words:
    """Where the hall stands and what happens next (the snapshot's ``guide``)."""
    opening = when(hall.section.bid_deadline)
    deadline = when(hall.stage_deadline)
    stage = hall.stage
    if stage == S.DECRYPTION and hall.stage_deadline is None:  # cleared by the chronograph
        return Words(
            "开标大厅在解密阶段，解密时限已过，正在等待平台完成解密或补救，之后由主持人进入唱标",
            "The hall is in decryption; the window has closed and the platform is finishing "
            "decryption or a rescue, then the host moves on to the reading",
        )
    if stage in TIMED and not _window_open(hall):
        label = {S.DECRYPTION: ("解密", "decryption"), S.CONFIRMATION: ("确认", "confirmation")}
        zh, en = label[S(stage)]
        return Words(
            f"开标大厅在{zh}阶段，时限已于 {deadline.zh} 结束，大厅随即进入下一阶段",
            f"The hall is in {en}; its window closed at {deadline.en} and the hall moves on "
            "to the next stage",
        )
    table = {
        S.WAITING: Words(
            f"开标大厅尚未开启，将于开标时间（{opening.zh}）开启",
            f"The hall has not opened yet: it opens at the bid deadline ({opening.en})",
        ),
        S.SIGN_IN: Words(
            "开标大厅在签到阶段，投标人签到后由主持人公布投标人名单，再开启解密窗口",
            "The hall is in sign-in: bidders sign in, then the host shows the bidder list and "
            "opens the decryption window",
        ),
        S.BIDDERS: Words(
            "开标大厅在公布投标人名单阶段，主持人随后开启解密窗口",
            "The hall is showing the bidder list: the host opens the decryption window next",
        ),
        S.DECRYPTION: Words(
            f"开标大厅在解密阶段，投标人须在 {deadline.zh} 前解密本单位投标 [E30]",
            f"The hall is in decryption: bidders decrypt their own bids by {deadline.en} [E30]",
        ),
        S.READING: Words(
            "开标大厅在唱标阶段，主持人随后开启确认窗口",
            "The hall is reading out the bids: the host opens the confirmation window next",
        ),
        S.CONFIRMATION: Words(
            f"开标大厅在确认阶段，投标人须在 {deadline.zh} 前确认唱标结果或提出异议",
            f"The hall is in confirmation: bidders confirm the reading or object by {deadline.en}",
        ),
        S.OBJECTIONS: Words(
            "开标大厅在异议阶段，主持人或招标人当场答复后结束开标 [R44]",
            "The hall is taking objections: the host or the tenderee answers them on the spot, "
            "then the host closes the opening [R44]",
        ),
        S.CLOSED: Words(
            "开标已结束，开标记录已公布（或正在生成）",
            "The opening has ended: the opening record is published (or being generated)",
        ),
        S.FAILED: Words(
            "本标段未开标（见标段状态的原因）",
            "There is no opening in this section (see the section's status for the reason)",
        ),
    }
    return table[S(stage)]


def _window_open(hall: Hall) -> bool:
    return hall.stage_deadline is not None and clock.now() < hall.stage_deadline


@dataclass(frozen=True)
class Action:
    """Something a person does in the hall: in which stages, and what to say otherwise."""

    stages: frozenset[str]
    before: Words  # the hall has not reached the action's stages yet
    after: Words  # the hall is past them
    timed: bool = False  # only inside the stage's window


ACTIONS: dict[str, Action] = {
    "sign_in": Action(
        RUNNING,
        Words("开标大厅开启后即可签到", "you can sign in once the hall opens at the bid deadline"),
        Words("开标已结束，不再签到", "the opening has ended: there is nothing to sign in to"),
    ),
    "unlock": Action(
        frozenset({S.DECRYPTION}),
        Words(
            "解密窗口由主持人开启后可解密（在签到和公布投标人名单之后）",
            "you can decrypt once the host opens the decryption window (after sign-in and the "
            "bidder list)",
        ),
        Words(
            "解密已结束，未在时限内由投标人解密的投标已撤销 [E31]",
            "decryption is over: a bid its bidder did not decrypt in time is revoked [E31]",
        ),
        timed=True,
    ),
    "answer": Action(
        frozenset({S.CONFIRMATION}),
        Words(
            "唱标后主持人开启确认窗口时，可确认唱标结果或提出异议",
            "you can confirm or object to the reading once the host opens the confirmation "
            "window after the reading",
        ),
        Words(
            "确认已结束，未答复的投标人记为未确认；仍可在开标结束前提出异议 [R44]",
            "confirmation is over: a bidder who did not answer is recorded as not answering; "
            "you can still object until the opening closes [R44]",
        ),
        timed=True,
    ),
    "object": Action(
        OBJECTIONS_OPEN,
        Words("唱标开始后可提出异议", "you can object once the reading starts"),
        Words(
            "开标已结束，其他问题请依法投诉 [R60]",
            "the opening has ended: raise further points in a complaint [R60]",
        ),
    ),
}


def allows(hall: Hall, action: str) -> bool:
    rule = ACTIONS[action]
    return hall.stage in rule.stages and (not rule.timed or _window_open(hall))


def refusal(hall: Hall, action: str) -> DomainError:
    """The refusal of ``action`` at the hall's stage: where the hall is, and what the person
    can do and when. Code ``conflict`` (HTTP 409), as before."""
    rule = ACTIONS[action]
    stage = hall.stage
    # Refused inside one of its stages means its window has passed: that is late too.
    last = max(rule.stages, key=ORDER.index)
    late = stage == S.FAILED or ORDER.index(stage) >= ORDER.index(last)
    hint = rule.after if late else rule.before
    now = where(hall)
    return DomainError(f"{now.zh}；{hint.zh} / {now.en}; {hint.en}", code="conflict")


def require(hall: Hall, action: str) -> None:
    """Raise the stage's refusal unless ``action`` is open now (the caller holds the lock)."""
    if not allows(hall, action):
        raise refusal(hall, action)
