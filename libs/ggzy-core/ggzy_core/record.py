"""The opening record (开标记录): plain data in, canonical JSON, a PDF and a signature out.

At the end of an online opening the hall service gathers what happened into an
:class:`OpeningRecord` (plain frozen dataclasses, no Django models) and calls:

- :func:`record_json` — canonical JSON (``ggzy_core.canonical``) with ``"format":
  "ggzy-opening-record/1"``: the record of legal effect, the bytes that are signed, hashed
  into the audit ledger and published with the PDF [E32, E40];
- the A4 PDF people read is rendered by the server (:mod:`realtime.record_pdf`); its footer
  carries the SM3 of that JSON so a printout can be matched to the signed record;
- :func:`sign_record` / :func:`verify_record` — the platform's SM2 signature over
  ``RECORD_DOMAIN + json``, domain-separated like receipts (``ggzy_core.receipts``) so that a
  signature on one kind of document can never pass for another.

What the record lists (format ``ggzy-opening-record/2``; docs/record.md): every bid in
opening-number order with its reading, its bidder's sign-in time (null: never signed in) and
its answer to the reading with the SM3 fingerprint of the key that signed it (a confirmation
and an objection to the reading are both signed); the objections raised in the hall with
their answers; and every public event of the hall in order (stage changes, sign-ins, each
bid's decryption status, rescues, answers, objections and their answers). The hall bounds
each of these (one sign-in and one answer per bidder, ``OBJECTIONS_PER_BIDDER_MAX``…), and
the hall service caps the events at :func:`events_cap` so that no record grows without end:
an ``omitted`` event then says how many are left out (the audit ledger has them all).

Times must be timezone-aware; the JSON writes them in the record's display time zone
(Asia/Shanghai by default) with the offset, so they are unambiguous and read as the hall
showed them. Prices are decimal strings in yuan, kept in the JSON exactly as read out.
No Django import: offline verifiers (the bidder's tool, a regulator's script) use this too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ggzy_core.canonical import canonical
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex

RECORD_FORMAT = "ggzy-opening-record/2"
# Formats a verifier accepts: /1 (before every hall event, sign-ins and the objecting
# bidder's key fingerprint were recorded) is still a signed record of its time.
RECORD_FORMATS = frozenset({"ggzy-opening-record/1", RECORD_FORMAT})
RECORD_DOMAIN = b"ggzy-opening-record\n"
DEFAULT_TIME_ZONE = "Asia/Shanghai"


class BidStatus(StrEnum):
    """A bid's fate at the opening [E31]."""

    DECRYPTED = "decrypted"
    REVOKED = "revoked"  # not decrypted through the bidder's own fault: 撤销
    WITHDRAWN = "withdrawn"  # not decrypted through anyone else's fault: 撤回

    @property
    def label(self) -> str:
        return {"decrypted": "已解密", "revoked": "撤销", "withdrawn": "撤回"}[self.value]


class Confirmation(StrEnum):
    """The bidder's answer to the readings."""

    CONFIRMED = "confirmed"
    OBJECTED = "objected"
    NO_ANSWER = "no_answer"

    @property
    def label(self) -> str:
        return {"confirmed": "已确认", "objected": "有异议", "no_answer": "未答复"}[self.value]


class EventKind(StrEnum):
    """What happened in the hall, one kind per public hall event (``realtime.events``)."""

    SIGN_IN_OPENED = "sign_in_opened"
    BIDDERS_SHOWN = "bidders_shown"
    DECRYPTION_OPENED = "decryption_opened"
    DECRYPTION_CLOSED = "decryption_closed"
    READING_STARTED = "reading_started"
    CONFIRMATION_OPENED = "confirmation_opened"
    OBJECTIONS_OPENED = "objections_opened"
    CLOSED = "closed"
    FAILED = "failed"
    SIGNED_IN = "signed_in"
    KEY_ACCEPTED = "key_accepted"
    DECRYPTED = "decrypted"
    DECRYPTION_FAILED = "decryption_failed"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    CONFIRMED = "confirmed"
    OBJECTED = "objected"
    OBJECTION_RAISED = "objection_raised"
    OBJECTION_ANSWERED = "objection_answered"
    RESCUE_STARTED = "rescue_started"
    SHARE_GIVEN = "share_given"
    RESCUE_ENDED = "rescue_ended"
    OMITTED = "omitted"  # the cap was reached: how many events are not listed
    OTHER = "other"  # a hall event this version does not name; the note says which

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS = {
    EventKind.SIGN_IN_OPENED: "开标大厅开启，开始签到",
    EventKind.BIDDERS_SHOWN: "公布投标人名单",
    EventKind.DECRYPTION_OPENED: "解密开始",
    EventKind.DECRYPTION_CLOSED: "解密时限结束",
    EventKind.READING_STARTED: "开始唱标",
    EventKind.CONFIRMATION_OPENED: "开始确认唱标结果",
    EventKind.OBJECTIONS_OPENED: "异议答复",
    EventKind.CLOSED: "开标结束",
    EventKind.FAILED: "开标失败",
    EventKind.SIGNED_IN: "投标人签到",
    EventKind.KEY_ACCEPTED: "解密密钥已提交，正在解密",
    EventKind.DECRYPTED: "投标文件已解密",
    EventKind.DECRYPTION_FAILED: "平台解密失败",
    EventKind.REVOKED: "撤销（投标人未解密）",
    EventKind.WITHDRAWN: "撤回（非投标人原因未能解密）",
    EventKind.CONFIRMED: "确认唱标结果（已签名）",
    EventKind.OBJECTED: "对唱标结果有异议（已签名）",
    EventKind.OBJECTION_RAISED: "提出异议",
    EventKind.OBJECTION_ANSWERED: "答复异议",
    EventKind.RESCUE_STARTED: "发起补救解密",
    EventKind.SHARE_GIVEN: "提交开标密钥分片",
    EventKind.RESCUE_ENDED: "补救解密完成",
    EventKind.OMITTED: "其余事件从略",
    EventKind.OTHER: "其他事件",
}

# How many events a record lists at most: the hall bounds them already (a handful of stage
# changes; per bid one sign-in, a few status changes, one answer, and at most
# OBJECTIONS_PER_BIDDER_MAX objections each with its answer), but a rescue may repeat, so
# the record states its own cap rather than trust every caller.
EVENTS_BASE = 100
EVENTS_PER_BID = 30


def events_cap(bids: int) -> int:
    return EVENTS_BASE + EVENTS_PER_BID * bids


def _check_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


def _check_decimal(value: str | None, what: str) -> None:
    if value is None:
        return
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} must be a decimal string in yuan, got {value!r}") from None
    if not number.is_finite() or number < 0 or value != value.strip() or "," in value:
        raise ValueError(f"{what} must be a plain non-negative decimal, got {value!r}")


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    project_name: str
    tenderee_name: str
    category_label: str  # e.g. "房屋建筑和市政基础设施工程 / 施工"


@dataclass(frozen=True)
class Reading:
    """What was read out (唱标) for one decrypted bid."""

    price: str  # yuan, plain decimal string: "47850000.00"
    duration_days: int | None = None
    quality: str = ""
    project_manager: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # further announced items, in reading order

    def __post_init__(self) -> None:
        _check_decimal(self.price, "price")
        if self.duration_days is not None and self.duration_days < 0:
            raise ValueError("duration_days must not be negative")


@dataclass(frozen=True)
class BidRow:
    sequence: int  # the bid's opening number (received_at order, given at the opening)
    bidder_name: str
    credit_code: str
    status: BidStatus
    reading: Reading | None = None  # present exactly when the bid was decrypted
    confirmation: Confirmation = Confirmation.NO_ANSWER
    # The SM3 fingerprint of the bidder's key that signed its answer to the reading: a
    # confirmation and an objection are both SM2 signatures over the reading's SM3, so it is
    # present exactly when the bidder answered.
    signature_fingerprint: str | None = None
    confirmed_at: datetime | None = None  # when it answered (confirmed or objected)
    # When the bidder signed in (到场); None: it never did. Sign-in is attendance, not a
    # condition of decryption (docs/decisions.md, "Sign-in").
    signed_in_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.reading is not None) != (self.status is BidStatus.DECRYPTED):
            raise ValueError(f"bid {self.sequence}: a reading exists exactly for decrypted bids")
        answered = self.confirmation is not Confirmation.NO_ANSWER
        if answered != bool(self.signature_fingerprint):
            raise ValueError(
                f"bid {self.sequence}: an answer to the reading needs its signature fingerprint"
            )
        for value, what in (
            (self.confirmed_at, "confirmed_at"),
            (self.signed_in_at, "signed_in_at"),
        ):
            if value is not None:
                _check_aware(value, what)


@dataclass(frozen=True)
class Objection:
    """An objection raised in the hall and answered on the spot [R44]."""

    bidder_name: str
    raised_at: datetime
    text: str
    answer: str = ""
    answered_at: datetime | None = None
    answered_by: str = ""

    def __post_init__(self) -> None:
        _check_aware(self.raised_at, "raised_at")
        if self.answered_at is not None:
            _check_aware(self.answered_at, "answered_at")


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: datetime
    note: str = ""
    bidder_name: str = ""  # whose event it is, when it is one bidder's

    def __post_init__(self) -> None:
        _check_aware(self.at, "event time")


@dataclass(frozen=True)
class OpeningRecord:
    section: Section
    opening_time: datetime  # the bid deadline
    trading_centre: str
    host: str
    price_ceiling: str | None
    rows: tuple[BidRow, ...]
    generated_at: datetime
    objections: tuple[Objection, ...] = ()
    events: tuple[Event, ...] = ()
    time_zone: str = DEFAULT_TIME_ZONE

    def __post_init__(self) -> None:
        _check_aware(self.opening_time, "opening_time")
        _check_aware(self.generated_at, "generated_at")
        _check_decimal(self.price_ceiling, "price_ceiling")
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not halfway through a PDF
        sequences = [row.sequence for row in self.rows]
        if sequences != sorted(set(sequences)):
            raise ValueError(f"rows must be in receipt order, one per bid: {sequences}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances per key

    def iso(self, value: datetime | None) -> str | None:
        """A time as ISO 8601 in the record's time zone, with its offset."""
        return None if value is None else value.astimezone(self.zone).isoformat()

    def local(self, value: datetime | None, seconds: bool = True) -> str:
        """A time for people: ``2025-03-18 09:30:00`` in the record's time zone."""
        if value is None:
            return ""
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%H:%M")


def format_yuan(value: str | None) -> str:
    """``"47850000"`` → ``"47,850,000.00"``; more than two decimals are shown, never rounded."""
    if value is None:
        return ""
    number = Decimal(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        number = number.quantize(Decimal("0.01"))
    return format(number, ",f")


def record_data(record: OpeningRecord) -> dict[str, Any]:
    """The record as a JSON-able dict (what :func:`record_json` serialises)."""
    return {
        "format": RECORD_FORMAT,
        "section": {
            "code": record.section.code,
            "name": record.section.name,
            "project_name": record.section.project_name,
            "tenderee_name": record.section.tenderee_name,
            "category": record.section.category_label,
        },
        "opening_time": record.iso(record.opening_time),
        "time_zone": record.time_zone,
        "trading_centre": record.trading_centre,
        "host": record.host,
        "price_ceiling": record.price_ceiling,
        "bids": [_row_data(record, row) for row in record.rows],
        "objections": [
            {
                "bidder_name": item.bidder_name,
                "raised_at": record.iso(item.raised_at),
                "text": item.text,
                "answer": item.answer,
                "answered_at": record.iso(item.answered_at),
                "answered_by": item.answered_by,
            }
            for item in record.objections
        ],
        "events": [
            {
                "kind": event.kind.value,
                "at": record.iso(event.at),
                "bidder_name": event.bidder_name,
                "note": event.note,
            }
            for event in record.events
        ],
        "generated_at": record.iso(record.generated_at),
    }


def _row_data(record: OpeningRecord, row: BidRow) -> dict[str, Any]:
    reading = row.reading
    return {
        "sequence": row.sequence,
        "bidder_name": row.bidder_name,
        "credit_code": row.credit_code,
        "status": row.status.value,
        "reading": None
        if reading is None
        else {
            "price": reading.price,
            "duration_days": reading.duration_days,
            "quality": reading.quality,
            "project_manager": reading.project_manager,
            "extra": [[label, value] for label, value in reading.extra],
        },
        "signed_in_at": record.iso(row.signed_in_at),
        "confirmation": {
            "state": row.confirmation.value,
            "signature_fingerprint": row.signature_fingerprint,
            "at": record.iso(row.confirmed_at),
        },
    }


def record_json(record: OpeningRecord) -> bytes:
    """Canonical JSON of the record: the bytes that are signed, hashed and published."""
    return canonical(record_data(record))


def record_message(json_bytes: bytes) -> bytes:
    return RECORD_DOMAIN + json_bytes


def sign_record(
    json_bytes: bytes, sign: Callable[[bytes], bytes], key_fingerprint: str
) -> dict[str, str]:
    """``{"record_sm3", "signature", "key_fingerprint"}``; ``sign`` returns a DER SM2
    signature (``ggzy.signing.platform_sign`` in the platform)."""
    return {
        "record_sm3": sm3_hex(json_bytes),
        "signature": sign(record_message(json_bytes)).hex(),
        "key_fingerprint": key_fingerprint,
    }


def verify_record(
    json_bytes: bytes, signed: Mapping[str, Any], public_key: sm2.SM2PublicKey
) -> bool:
    """True when ``json_bytes`` is a canonical opening record, ``signed`` names its SM3 and
    ``public_key``, and the signature is by that key."""
    if signed.get("key_fingerprint") != public_key.fingerprint():
        return False
    if signed.get("record_sm3") != sm3_hex(json_bytes):
        return False
    try:
        data = json.loads(json_bytes)
        signature = bytes.fromhex(str(signed.get("signature", "")))
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        return False
    if not isinstance(data, dict) or data.get("format") not in RECORD_FORMATS:
        return False
    if canonical(data) != json_bytes:
        return False
    return public_key.verify(record_message(json_bytes), signature)
