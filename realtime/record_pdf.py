"""The opening record as an A4 PDF (reportlab), for people; the JSON is what is signed.

Font. Chinese needs a CJK font: :func:`ggzy.pdf_fonts.cjk_font` embeds a TrueType-outline CJK
font when the machine has one and otherwise names reportlab's built-in ``STSong-Light``, which
is not embedded (see that module). The choice is made once per process; the PDF bytes are
reproducible for one input on one machine (``invariant=1``).

Layout. The styles, the tables, long texts cut into pieces and the page frame (margins, the
running heading, the footer with the digest and ``第 x 页 共 y 页``) are :mod:`ggzy.pdf_layout`,
which the evaluation report (``experts.report_pdf``) shares.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from ggzy import money
from ggzy.pdf_fonts import FALLBACK_FONT as FALLBACK_FONT  # re-exported: formerly defined here
from ggzy.pdf_fonts import KNOWN_TRUETYPE_CJK as KNOWN_TRUETYPE_CJK
from ggzy.pdf_layout import Styles, grid, long_text, paragraph, render_a4
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.record import BidStatus, OpeningRecord, format_yuan, record_json


def _facts(record: OpeningRecord, st: Styles, width: float) -> Table:
    section, rows = record.section, record.rows
    counts = {status: sum(row.status is status for row in rows) for status in BidStatus}
    received = (
        f"{len(rows)} 份（已解密 {counts[BidStatus.DECRYPTED]}，"
        f"撤销 {counts[BidStatus.REVOKED]}，撤回 {counts[BidStatus.WITHDRAWN]}）"
    )
    ceiling = _amount(record.price_ceiling) or "未设"
    pairs = [
        ("项目名称", section.project_name, "项目类别", section.category_label),
        ("标段名称", section.name, "标段编号", section.code),
        ("招标人", section.tenderee_name, "交易中心", record.trading_centre),
        (
            "开标时间",
            f"{record.local(record.opening_time)}（{record.time_zone}）",
            "主持人",
            record.host,
        ),
        ("开标方式", "不见面开标（网上开标）", "最高投标限价（元）", ceiling),
        ("投标文件", received, "记录生成时间", record.local(record.generated_at)),
    ]
    data = [[paragraph(cell, st["cell"]) for cell in pair] for pair in pairs]
    key, value = 0.15 * width, 0.35 * width
    return grid(data, [key, value, key, value], header=False)


READING_HEADER = ("序号", "投标人", "统一社会信用代码", "报价（元）", "工期\n(日历天)")
READING_HEADER_2 = ("质量", "项目经理", "状态", "确认")
READING_WIDTHS = (0.045, 0.225, 0.175, 0.125, 0.08, 0.055, 0.08, 0.065, 0.15)


def _amount(value: str | None) -> str:
    """``47,850,000.00`` and, below it, the capital figures (大写) a document states."""
    words = money.in_words(value)
    return f"{format_yuan(value)}\n{words}" if words else format_yuan(value)


def _days(value: int | None) -> str:
    return "—" if value is None else str(value)


def _readings(record: OpeningRecord, st: Styles, width: float) -> Table:
    cell, num = st["cell"], st["num"]
    data: list[list[Any]] = [[paragraph(h, cell) for h in READING_HEADER + READING_HEADER_2]]
    for row in record.rows:
        reading = row.reading
        confirmation = row.confirmation.label
        if row.signature_fingerprint:  # confirmations and objections are both signed
            confirmation += f" {row.signature_fingerprint[:8]}…"
        data.append(
            [
                paragraph(str(row.sequence), num),
                paragraph(row.bidder_name, cell),
                paragraph(row.credit_code, cell),
                paragraph(_amount(reading.price) if reading else "—", num),
                paragraph(_days(reading.duration_days if reading else None), num),
                paragraph(reading.quality if reading else "—", cell),
                paragraph(reading.project_manager if reading else "—", cell),
                paragraph(row.status.label, cell),
                paragraph(confirmation, cell),
            ]
        )
    return grid(data, [w * width for w in READING_WIDTHS])


def _story(record: OpeningRecord, st: Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        paragraph("开标记录", st["title"]),
        paragraph("Bid Opening Record", st["subtitle"]),
        Spacer(1, 5 * mm),
        _facts(record, st, width),
        paragraph("一、唱标记录 Readings", st["h2"]),
        _readings(record, st, width),
    ]
    extras = [
        f"{row.sequence}. {row.bidder_name}："
        + "；".join(f"{label}：{value}" for label, value in row.reading.extra)
        for row in record.rows
        if row.reading is not None and row.reading.extra
    ]
    if extras:
        story.append(paragraph("其他唱标内容 Other items read out", st["h2"]))
        story.extend(paragraph(line, st["base"]) for line in extras)
    story.append(paragraph("二、异议及答复 Objections and answers", st["h2"]))
    if not record.objections:
        story.append(paragraph("开标过程中无投标人提出异议。", st["base"]))
    for number, item in enumerate(record.objections, 1):
        raised = (
            f"{number}. {item.bidder_name}（{record.local(item.raised_at)}）提出异议：{item.text}"
        )
        story.extend(long_text(raised, st["base"]))
        by = "，".join(part for part in (item.answered_by, record.local(item.answered_at)) if part)
        answer = item.answer or "（未答复）"
        story.extend(long_text(f"答复{f'（{by}）' if by else ''}：{answer}", st["base"]))
        story.append(Spacer(1, 1.5 * mm))
    if record.events:
        story.append(paragraph("三、开标过程 Events in the hall (北京时间)", st["h2"]))
        data = [[paragraph(h, st["cell"]) for h in ("时间", "事项", "投标人", "说明")]]
        for event in record.events:
            cells = (record.local(event.at), event.kind.label, event.bidder_name, event.note)
            data.append([paragraph(text, st["cell"]) for text in cells])
        story.append(grid(data, [w * width for w in (0.2, 0.22, 0.24, 0.34)]))
    story.append(paragraph("四、签到与签名 Sign-in and signed answers", st["h2"]))
    header = ("序号", "投标人", "签到时间", "答复及时间", "签名公钥指纹 (SM3)")
    data = [[paragraph(h, st["cell"]) for h in header]]
    for row in record.rows:
        answered = f"{row.confirmation.label} {record.local(row.confirmed_at)}".strip()
        data.append(
            [
                paragraph(str(row.sequence), st["num"]),
                paragraph(row.bidder_name, st["cell"]),
                paragraph(record.local(row.signed_in_at) or "未签到", st["cell"]),
                paragraph(answered, st["cell"]),
                paragraph(row.signature_fingerprint or "—", st["mono"]),
            ]
        )
    story.append(grid(data, [w * width for w in (0.06, 0.24, 0.17, 0.17, 0.36)]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        paragraph(
            "本记录由平台依据开标过程自动生成，以平台 SM2 电子签名的 JSON 数据为准；"
            "页脚为该 JSON 数据的 SM3 摘要。",
            st["small"],
        )
    )
    return story


def render_pdf(record: OpeningRecord) -> bytes:
    return render_a4(
        lambda st, width: _story(record, st, width),
        title=f"开标记录 {record.section.code}",
        author=record.trading_centre,
        subject=record.section.name,
        footer=f"本记录的电子数据摘要 SM3: {sm3_hex(record_json(record))}",
        heading=f"开标记录  {record.section.code}  {record.section.name}",
    )
