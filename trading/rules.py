"""The legal numbers the trading services enforce, each with its article."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ggzy.errors import DomainError

# ≥ 20 days from issuing the tender documents to the bid deadline [L24].
DOCUMENT_PERIOD_MIN = dt.timedelta(days=20)
# A clarification or amendment less than 15 days before the deadline moves it [R21, L23].
CLARIFICATION_NOTICE_MIN = dt.timedelta(days=15)
# Objections to the tender documents until 10 days before the deadline [R22] …
OBJECTION_CUTOFF = dt.timedelta(days=10)
# … answered within 3 days [R22].
OBJECTION_ANSWER_WITHIN = dt.timedelta(days=3)
# Fewer than 3 bids at the deadline: no opening, re-tender [R44].
MIN_BIDS_TO_OPEN = 3
# Bid deposit ≤ 2% of the estimated price [R26]; works tenders also ≤ 800,000 yuan.
DEPOSIT_MAX_RATE = Decimal("0.02")
WORKS_DEPOSIT_CAP = Decimal("800000")
# The section's opening key is split among the centre, the regulator and the tenderee;
# two shares rebuild it (Shamir 2-of-3), and the platform rebuilds it only after the deadline,
# in a rescue the host started [E27, E31]. Regulator required: of the two, one must be the
# regulator's — the platform does not rebuild the key from the centre's and the tenderee's
# shares alone (realtime/decryption.py `submit_share`), and releases their sealed shares only
# once the regulator has given its own (realtime/rescue.py). See docs/envelope.md.
OPENING_KEY_THRESHOLD = 2

# --- Bounds on what people post (issue 7) ------------------------------------------------
# Every free text and every count a user can grow is bounded here, in one place, and each
# service checks it (forms mirror it for early feedback; models carry max_length where the
# column allows). A refusal names the limit. The law sets none of these numbers: they are
# generous for honest use and keep one party from exhausting the platform for everyone.
PROJECT_CODE_MAX_CHARS = 40  # = Project.code max_length
NAME_MAX_CHARS = 200  # project, section, document and clarification titles (model max_length)
EVALUATION_CRITERIA_MAX_CHARS = 20_000
REASON_MAX_CHARS = 2_000  # a cancellation's or failure's reason
SUSPENSION_REASON_MAX_CHARS = 500  # = Section.suspended_reason max_length [R62]
# Objections to the tender documents [R22] and their answers.
OBJECTION_TEXT_MAX_CHARS = 5_000
OBJECTION_ANSWER_MAX_CHARS = 10_000
OBJECTIONS_PER_BIDDER_MAX = 10  # per section and bidding organisation
# Clarifications and amendments [R21, L23].
CLARIFICATION_BODY_MAX_CHARS = 20_000
CLARIFICATIONS_PER_SECTION_MAX = 30
# Tender documents: one file per version; every clarification with a file adds a version.
DOCUMENT_MAX_BYTES = 512 * 1024 * 1024
DOCUMENT_VERSIONS_PER_SECTION_MAX = 30


def check_length(
    value: str, *, limit: int, field: str, what_zh: str, what_en: str, required: bool = False
) -> None:
    """Refuse a text longer than ``limit`` characters (or empty, when ``required``)."""
    if required and not value.strip():
        raise DomainError(f"请填写{what_zh} / Write the {what_en}", code="invalid", field=field)
    if len(value) > limit:
        raise DomainError(
            f"{what_zh}不得超过{limit:,}字（现为{len(value):,}字），请精简后再提交 / The "
            f"{what_en} may be at most {limit:,} characters (this one has {len(value):,}): "
            "shorten it and submit again",
            code="too_long",
            field=field,
        )


def check_count(
    count: int,
    *,
    limit: int,
    field: str | None,
    what_zh: str,
    what_en: str,
    next_zh: str = "",
    next_en: str = "",
) -> None:
    """Refuse adding one more when ``count`` already reached ``limit``; ``next_*`` says
    what the person can do instead."""
    if count >= limit:
        raise DomainError(
            f"{what_zh}已达上限（{limit:,}个）{next_zh} / The limit of {limit:,} {what_en} has "
            f"been reached{next_en}",
            code="limit_reached",
            field=field,
        )
