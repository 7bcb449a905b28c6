"""The opening record: canonical JSON, a Chinese A4 PDF, and the platform's signature.

The PDF checks read the text back with poppler's ``pdftotext``. Without poppler-utils they
are skipped on a developer's machine but fail in CI (``CI=true``; tests/tools.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ggzy_core.canonical import canonical
from ggzy_core.credit_code import check_character, is_valid
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.record import (
    RECORD_DOMAIN,
    RECORD_FORMAT,
    BidRow,
    BidStatus,
    Confirmation,
    Event,
    EventKind,
    Objection,
    OpeningRecord,
    Reading,
    Section,
    format_yuan,
    record_json,
    sign_record,
    verify_record,
)
from realtime.record_pdf import render_pdf as record_pdf
from tests import tools

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2025, 3, 18, 9, 30, tzinfo=SHANGHAI)
SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "opening-record.png"
_NO_POPPLER = "needs poppler-utils (pdftotext, pdftoppm): apt-get install poppler-utils"


def credit_code(first17: str) -> str:
    code = first17 + check_character(first17)
    assert is_valid(code)
    return code


def at(minutes: float) -> datetime:
    return DEADLINE + timedelta(minutes=minutes)


def fingerprint(seed: str) -> str:
    return sm3_hex(seed.encode())


def confirmed(sequence: int, name: str, code: str, reading: Reading, minutes: float) -> BidRow:
    return BidRow(
        sequence=sequence,
        bidder_name=name,
        credit_code=code,
        status=BidStatus.DECRYPTED,
        reading=reading,
        confirmation=Confirmation.CONFIRMED,
        signature_fingerprint=fingerprint(name),
        confirmed_at=at(minutes),
        signed_in_at=at(1),
    )


def build_record(rows: tuple[BidRow, ...] | None = None) -> OpeningRecord:
    if rows is None:
        rows = (
            confirmed(
                1,
                "江南建工集团有限公司",
                credit_code("91320100MA1XK5P2T"),
                Reading(
                    "47850000.00",
                    540,
                    "合格",
                    "王建国",
                    (("安全文明施工费（元）", "1,250,000.00"),),
                ),
                38,
            ),
            BidRow(
                sequence=2,
                bidder_name="苏州恒达市政工程有限公司",
                credit_code=credit_code("91320500138846321"),
                status=BidStatus.DECRYPTED,
                reading=Reading("46920300.50", 520, "合格", "李晓梅"),
                confirmation=Confirmation.OBJECTED,
                signature_fingerprint=fingerprint("苏州恒达市政工程有限公司"),
                confirmed_at=at(40),
                signed_in_at=at(0.5),
            ),
            BidRow(
                sequence=3,
                bidder_name="金陵路桥建设股份有限公司",
                credit_code=credit_code("91320000134790088"),
                status=BidStatus.REVOKED,
            ),
            confirmed(
                4,
                "扬子江建设发展有限公司",
                credit_code("91321000MA20RQ8J4"),
                Reading("48312000", 560, "合格", "赵志强"),
                41,
            ),
        )
    return OpeningRecord(
        section=Section(
            code="JSGC-2025-0318-001",
            name="滨江大道快速化改造工程施工第一标段",
            project_name="滨江大道快速化改造工程",
            tenderee_name="南京市城市建设投资控股（集团）有限责任公司",
            category_label="房屋建筑和市政基础设施工程 / 施工",
        ),
        opening_time=DEADLINE,
        trading_centre="南京市公共资源交易中心",
        host="陈主持",
        price_ceiling="49800000.00",
        rows=rows,
        objections=(
            Objection(
                bidder_name="苏州恒达市政工程有限公司",
                raised_at=at(33),
                text="唱标工期与投标函不一致，我方投标函载明工期为 520 日历天。",
                answer="经核对解密后的投标函，工期为 520 日历天，与唱标一致，异议不成立。",
                answered_at=at(36),
                answered_by="陈主持",
            ),
        ),
        events=(
            Event(EventKind.SIGN_IN_OPENED, at(0), "共 4 份投标文件"),
            Event(EventKind.SIGNED_IN, at(0.5), bidder_name="苏州恒达市政工程有限公司"),
            Event(EventKind.DECRYPTION_OPENED, at(1), "解密时限至 2025-03-18 10:01:00 [E30]"),
            Event(EventKind.REVOKED, at(31), bidder_name="金陵路桥建设股份有限公司"),
            Event(EventKind.READING_STARTED, at(32)),
            Event(EventKind.OBJECTED, at(40), bidder_name="苏州恒达市政工程有限公司"),
            Event(EventKind.CLOSED, at(45)),
        ),
        generated_at=at(45.5),
    )


def many_rows(count: int) -> tuple[BidRow, ...]:
    return tuple(
        confirmed(
            n,
            f"第{n:02d}号投标建设工程有限公司",
            credit_code(f"913201{n:06d}00000"[:17]),
            Reading(f"{45_000_000 + n * 12_345}.00", 500 + n, "合格", f"项目经理{n:02d}"),
            40,
        )
        for n in range(1, count + 1)
    )


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    tools.require(path, f"{tool}: {_NO_POPPLER}")
    assert path is not None
    return path


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, all whitespace removed (table cells may wrap anywhere)."""
    source = tmp_path / "record.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(source), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


# JSON


def test_the_json_is_canonical_and_the_same_bytes_for_the_same_record() -> None:
    data = record_json(build_record())
    assert data == record_json(build_record())
    assert canonical(json.loads(data)) == data
    assert json.loads(data)["format"] == RECORD_FORMAT == "ggzy-opening-record/2"
    assert "江南建工集团有限公司".encode() in data  # UTF-8, not \\u escapes


def test_the_json_contains_every_bid_in_receipt_order_with_its_reading() -> None:
    bids = json.loads(record_json(build_record()))["bids"]
    assert [bid["sequence"] for bid in bids] == [1, 2, 3, 4]
    assert [bid["reading"] and bid["reading"]["price"] for bid in bids] == [
        "47850000.00",
        "46920300.50",
        None,
        "48312000",
    ]
    assert bids[0]["reading"] == {
        "price": "47850000.00",
        "duration_days": 540,
        "quality": "合格",
        "project_manager": "王建国",
        "extra": [["安全文明施工费（元）", "1,250,000.00"]],
    }
    assert [bid["status"] for bid in bids] == ["decrypted", "decrypted", "revoked", "decrypted"]
    assert bids[0]["confirmation"]["signature_fingerprint"] == fingerprint("江南建工集团有限公司")
    # An objection to the reading is signed too: the record names the key that signed it.
    assert bids[1]["confirmation"] == {
        "state": "objected",
        "signature_fingerprint": fingerprint("苏州恒达市政工程有限公司"),
        "at": "2025-03-18T10:10:00+08:00",
    }


def test_the_json_gives_each_bidders_sign_in_time_or_null() -> None:
    bids = json.loads(record_json(build_record()))["bids"]
    assert [bid["signed_in_at"] for bid in bids] == [
        "2025-03-18T09:31:00+08:00",
        "2025-03-18T09:30:30+08:00",
        None,  # 金陵路桥 never signed in: recorded as such, its bid treated like any other
        "2025-03-18T09:31:00+08:00",
    ]


def test_the_json_lists_each_event_with_its_bidder_in_order() -> None:
    events = json.loads(record_json(build_record()))["events"]
    assert [(e["kind"], e["bidder_name"]) for e in events] == [
        ("sign_in_opened", ""),
        ("signed_in", "苏州恒达市政工程有限公司"),
        ("decryption_opened", ""),
        ("revoked", "金陵路桥建设股份有限公司"),
        ("reading_started", ""),
        ("objected", "苏州恒达市政工程有限公司"),
        ("closed", ""),
    ]


def test_the_json_writes_times_in_shanghai_time_with_the_offset() -> None:
    utc_deadline = DEADLINE.astimezone(ZoneInfo("UTC"))
    data = json.loads(record_json(replace(build_record(), opening_time=utc_deadline)))
    assert data["opening_time"] == "2025-03-18T09:30:00+08:00"
    assert data["time_zone"] == "Asia/Shanghai"
    assert data["objections"][0]["answered_at"] == "2025-03-18T10:06:00+08:00"
    assert data["events"][2] == {
        "kind": "decryption_opened",
        "at": "2025-03-18T09:31:00+08:00",
        "bidder_name": "",
        "note": "解密时限至 2025-03-18 10:01:00 [E30]",
    }


def test_a_changed_reading_changes_the_json() -> None:
    record = build_record()
    rows = (replace(record.rows[0], reading=Reading("47850000.01", 540, "合格", "王建国")),)
    assert record_json(replace(record, rows=rows + record.rows[1:])) != record_json(record)


def test_inconsistent_records_are_refused() -> None:
    code = credit_code("91320000134790088")
    with pytest.raises(ValueError, match="reading exists exactly for decrypted"):
        BidRow(1, "金陵路桥", code, BidStatus.REVOKED, reading=Reading("1.00"))
    with pytest.raises(ValueError, match="reading exists exactly for decrypted"):
        BidRow(1, "金陵路桥", code, BidStatus.DECRYPTED)
    with pytest.raises(ValueError, match="signature fingerprint"):
        BidRow(1, "金陵路桥", code, BidStatus.WITHDRAWN, confirmation=Confirmation.CONFIRMED)
    with pytest.raises(ValueError, match="signature fingerprint"):
        BidRow(1, "金陵路桥", code, BidStatus.WITHDRAWN, confirmation=Confirmation.OBJECTED)
    with pytest.raises(ValueError, match="signature fingerprint"):
        BidRow(1, "金陵路桥", code, BidStatus.WITHDRAWN, signature_fingerprint="ab" * 32)
    with pytest.raises(ValueError, match="timezone-aware"):
        BidRow(1, "金陵路桥", code, BidStatus.WITHDRAWN, signed_in_at=datetime(2025, 3, 18))
    with pytest.raises(ValueError, match="decimal"):
        Reading("47,850,000.00")
    with pytest.raises(ValueError, match="decimal"):
        Reading("NaN")
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(build_record(), opening_time=datetime(2025, 3, 18, 9, 30))
    record = build_record()
    with pytest.raises(ValueError, match="receipt order"):
        replace(record, rows=tuple(reversed(record.rows)))


def test_prices_get_thousands_separators_and_are_never_rounded() -> None:
    assert format_yuan("47850000.00") == "47,850,000.00"
    assert format_yuan("48312000") == "48,312,000.00"
    assert format_yuan("999.5") == "999.50"
    assert format_yuan("1234.567") == "1,234.567"
    assert format_yuan(None) == ""


# PDF


def test_the_pdf_shows_the_record_in_chinese_with_the_sm3_footer(tmp_path: Path) -> None:
    record = build_record()
    pages = pdf_pages(record_pdf(record), tmp_path)
    text = "".join(pages)
    for needle in (
        "开标记录",
        "BidOpeningRecord",
        "滨江大道快速化改造工程施工第一标段",
        "江南建工集团有限公司",
        credit_code("91320100MA1XK5P2T"),
        "47,850,000.00",
        "46,920,300.50",
        "49,800,000.00",  # the price ceiling
        "撤销",
        "唱标工期与投标函不一致",
        "异议不成立",
        "安全文明施工费（元）：1,250,000.00",
        "2025-03-1809:30:00",
        "解密开始",
        "未签到",
        "撤销（投标人未解密）",
        fingerprint("扬子江建设发展有限公司"),
        fingerprint("苏州恒达市政工程有限公司"),  # the key that signed the objection
        "本记录的电子数据摘要SM3:" + sm3_hex(record_json(record)),
    ):
        assert needle in text, needle
    assert pages[-1].endswith(f"第{len(pages)}页共{len(pages)}页")


def test_the_pdf_is_the_same_bytes_for_the_same_record() -> None:
    first = record_pdf(build_record())
    assert first.startswith(b"%PDF-")
    assert first == record_pdf(build_record())


def test_sixty_bidders_span_several_numbered_pages(tmp_path: Path) -> None:
    pages = pdf_pages(record_pdf(build_record(many_rows(60))), tmp_path)
    total = len(pages)
    assert total >= 3
    for number, page in enumerate(pages, 1):
        assert f"第{number}页共{total}页" in page
        assert "本记录的电子数据摘要SM3:" in page
    text = "".join(pages)
    assert all(f"第{n:02d}号投标建设工程有限公司" in text for n in range(1, 61))
    assert format_yuan(f"{45_000_000 + 60 * 12_345}.00") in text
    assert "投标人" in pages[1]  # the table header repeats on the next page


def test_the_first_page_renders_to_a_png_for_review(tmp_path: Path) -> None:
    source = tmp_path / "record.pdf"
    source.write_bytes(record_pdf(build_record()))
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            _poppler("pdftoppm"),
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(SCREENSHOT.with_suffix("")),
        ],
        check=True,
    )
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")


# Signature


@pytest.fixture(scope="module")
def platform_key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


def test_a_signed_record_verifies_with_the_platform_key(platform_key: sm2.SM2PrivateKey) -> None:
    public = platform_key.public_key()
    data = record_json(build_record())
    signed = sign_record(data, platform_key.sign, public.fingerprint())
    assert signed["record_sm3"] == sm3_hex(data)
    assert signed["key_fingerprint"] == public.fingerprint()
    assert verify_record(data, signed, public)
    # Domain-separated: the signature is over the prefixed bytes, never the bare JSON.
    signature = bytes.fromhex(signed["signature"])
    assert public.verify(RECORD_DOMAIN + data, signature)
    assert not public.verify(data, signature)


def test_a_changed_byte_fails_verification(platform_key: sm2.SM2PrivateKey) -> None:
    public = platform_key.public_key()
    data = record_json(build_record())
    signed = sign_record(data, platform_key.sign, public.fingerprint())
    tampered = data.replace(b"47850000.00", b"47850000.01")
    assert tampered != data
    assert not verify_record(tampered, signed, public)
    # Even with the digest updated to match, the signature does not.
    assert not verify_record(tampered, {**signed, "record_sm3": sm3_hex(tampered)}, public)
    flipped = bytes.fromhex(signed["signature"])
    flipped = flipped[:-1] + bytes([flipped[-1] ^ 1])
    assert not verify_record(data, {**signed, "signature": flipped.hex()}, public)


def test_another_key_fails_verification(platform_key: sm2.SM2PrivateKey) -> None:
    public = platform_key.public_key()
    other = sm2.generate_private_key()
    data = record_json(build_record())
    signed = sign_record(data, platform_key.sign, public.fingerprint())
    assert not verify_record(data, signed, other.public_key())
    # Nor does naming the other key help: its signature check still fails.
    renamed = {**signed, "key_fingerprint": other.public_key().fingerprint()}
    assert not verify_record(data, renamed, other.public_key())
    forged = sign_record(data, other.sign, public.fingerprint())
    assert not verify_record(data, forged, public)


def test_only_canonical_opening_records_verify(platform_key: sm2.SM2PrivateKey) -> None:
    public = platform_key.public_key()
    for data in (b'{"format": "ggzy-opening-record/1"}', canonical({"format": "ggzy-receipt/1"})):
        signed = sign_record(data, platform_key.sign, public.fingerprint())
        assert not verify_record(data, signed, public)
