"""The opening record as an A4 PDF (reportlab), for people; the JSON is what is signed.

Font. Chinese needs a CJK font: :func:`ggzy.pdf_fonts.cjk_font` embeds a TrueType-outline CJK
font when the machine has one and otherwise names reportlab's built-in ``STSong-Light``, which
is not embedded (see that module). The choice is made once per process; the PDF bytes are
reproducible for one input on one machine (``invariant=1``).
"""

from __future__ import annotations

import functools
import io
from typing import Any
from xml.sax.saxutils import escape  # nosec B406 # escapes text for reportlab markup, parses no XML

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ggzy.pdf_fonts import FALLBACK_FONT as FALLBACK_FONT  # re-exported: formerly defined here
from ggzy.pdf_fonts import KNOWN_TRUETYPE_CJK as KNOWN_TRUETYPE_CJK
from ggzy.pdf_fonts import cjk_font
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.record import BidStatus, OpeningRecord, format_yuan, record_json

MONO_FONT = "Courier"
MARGIN_X = 16 * mm
MARGIN_BOTTOM = 20 * mm
GRID = colors.HexColor("#9aa3ad")
HEAD = colors.HexColor("#e8edf3")


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontSize=20, leading=26, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=10, alignment=TA_CENTER),
        "h2": ParagraphStyle("h2", base, fontSize=11.5, leading=16, spaceBefore=9, spaceAfter=4),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10.5),
        "num": ParagraphStyle("num", base, fontSize=8, leading=10.5, alignment=TA_RIGHT),
        "mono": ParagraphStyle("mono", base, fontName=MONO_FONT, fontSize=7.5, leading=10.5),
        "small": ParagraphStyle("small", base, fontSize=8, leading=11, textColor=colors.grey),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# reportlab lays a paragraph out again from its start at every page it is split over: one long
# paragraph costs time quadratic in its length (200k characters took 6 s, 400k 25 s). Long
# texts are cut into paragraphs of at most this many characters, at line and sentence ends
# where there are some, so that none spans pages.
PIECE_CHARS = 600
_SENTENCE_ENDS = "。！？；!?;"


def _pieces(text: str) -> list[str]:
    pieces: list[str] = []
    for line in text.split("\n"):
        while len(line) > PIECE_CHARS:
            window = line[:PIECE_CHARS]
            cut = max(window.rfind(mark) for mark in _SENTENCE_ENDS) + 1
            cut = cut if cut > PIECE_CHARS // 2 else PIECE_CHARS
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    return pieces


def _long(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """A text of any length as paragraphs; a short one is exactly ``_p(text)``."""
    if len(text) <= PIECE_CHARS:
        return [_p(text, style)]
    return [_p(piece, style) for piece in _pieces(text)]


def _grid(data: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEAD))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), HEAD))
        commands.append(("BACKGROUND", (2, 0), (2, -1), HEAD))
    table.setStyle(TableStyle(commands))
    return table


def _facts(record: OpeningRecord, st: dict[str, ParagraphStyle], width: float) -> Table:
    section, rows = record.section, record.rows
    counts = {status: sum(row.status is status for row in rows) for status in BidStatus}
    received = (
        f"{len(rows)} 份（已解密 {counts[BidStatus.DECRYPTED]}，"
        f"撤销 {counts[BidStatus.REVOKED]}，撤回 {counts[BidStatus.WITHDRAWN]}）"
    )
    ceiling = format_yuan(record.price_ceiling) or "未设"
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
    data = [[_p(cell, st["cell"]) for cell in pair] for pair in pairs]
    key, value = 0.15 * width, 0.35 * width
    return _grid(data, [key, value, key, value], header=False)


READING_HEADER = ("序号", "投标人", "统一社会信用代码", "报价（元）", "工期\n(日历天)")
READING_HEADER_2 = ("质量", "项目经理", "状态", "确认")
READING_WIDTHS = (0.045, 0.225, 0.175, 0.125, 0.08, 0.055, 0.08, 0.065, 0.15)


def _days(value: int | None) -> str:
    return "—" if value is None else str(value)


def _readings(record: OpeningRecord, st: dict[str, ParagraphStyle], width: float) -> Table:
    cell, num = st["cell"], st["num"]
    data: list[list[Any]] = [[_p(h, cell) for h in READING_HEADER + READING_HEADER_2]]
    for row in record.rows:
        reading = row.reading
        confirmation = row.confirmation.label
        if row.signature_fingerprint:  # confirmations and objections are both signed
            confirmation += f" {row.signature_fingerprint[:8]}…"
        data.append(
            [
                _p(str(row.sequence), num),
                _p(row.bidder_name, cell),
                _p(row.credit_code, cell),
                _p(format_yuan(reading.price) if reading else "—", num),
                _p(_days(reading.duration_days if reading else None), num),
                _p(reading.quality if reading else "—", cell),
                _p(reading.project_manager if reading else "—", cell),
                _p(row.status.label, cell),
                _p(confirmation, cell),
            ]
        )
    return _grid(data, [w * width for w in READING_WIDTHS])


def _story(record: OpeningRecord, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p("开标记录", st["title"]),
        _p("Bid Opening Record", st["subtitle"]),
        Spacer(1, 5 * mm),
        _facts(record, st, width),
        _p("一、唱标记录 Readings", st["h2"]),
        _readings(record, st, width),
    ]
    extras = [
        f"{row.sequence}. {row.bidder_name}："
        + "；".join(f"{label}：{value}" for label, value in row.reading.extra)
        for row in record.rows
        if row.reading is not None and row.reading.extra
    ]
    if extras:
        story.append(_p("其他唱标内容 Other items read out", st["h2"]))
        story.extend(_p(line, st["base"]) for line in extras)
    story.append(_p("二、异议及答复 Objections and answers", st["h2"]))
    if not record.objections:
        story.append(_p("开标过程中无投标人提出异议。", st["base"]))
    for number, item in enumerate(record.objections, 1):
        raised = (
            f"{number}. {item.bidder_name}（{record.local(item.raised_at)}）提出异议：{item.text}"
        )
        story.extend(_long(raised, st["base"]))
        by = "，".join(part for part in (item.answered_by, record.local(item.answered_at)) if part)
        answer = item.answer or "（未答复）"
        story.extend(_long(f"答复{f'（{by}）' if by else ''}：{answer}", st["base"]))
        story.append(Spacer(1, 1.5 * mm))
    if record.events:
        story.append(_p("三、开标过程 Events in the hall (北京时间)", st["h2"]))
        data = [[_p(h, st["cell"]) for h in ("时间", "事项", "投标人", "说明")]]
        for event in record.events:
            cells = (record.local(event.at), event.kind.label, event.bidder_name, event.note)
            data.append([_p(text, st["cell"]) for text in cells])
        story.append(_grid(data, [w * width for w in (0.2, 0.22, 0.24, 0.34)]))
    story.append(_p("四、签到与签名 Sign-in and signed answers", st["h2"]))
    header = ("序号", "投标人", "签到时间", "答复及时间", "签名公钥指纹 (SM3)")
    data = [[_p(h, st["cell"]) for h in header]]
    for row in record.rows:
        answered = f"{row.confirmation.label} {record.local(row.confirmed_at)}".strip()
        data.append(
            [
                _p(str(row.sequence), st["num"]),
                _p(row.bidder_name, st["cell"]),
                _p(record.local(row.signed_in_at) or "未签到", st["cell"]),
                _p(answered, st["cell"]),
                _p(row.signature_fingerprint or "—", st["mono"]),
            ]
        )
    story.append(_grid(data, [w * width for w in (0.06, 0.24, 0.17, 0.17, 0.36)]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        _p(
            "本记录由平台依据开标过程自动生成，以平台 SM2 电子签名的 JSON 数据为准；"
            "页脚为该 JSON 数据的 SM3 摘要。",
            st["small"],
        )
    )
    return story


class _NumberedCanvas(Canvas):
    """Draws the footer after the last page, when ``第 x 页 共 y 页`` can be known."""

    def __init__(self, *args: Any, footer: str, heading: str, font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer, self._heading, self._font = footer, heading, font
        self._saved_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, _height = self._pagesize
        page = self.getPageNumber()
        self.saveState()
        self.setStrokeColor(GRID)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, 14 * mm, width - MARGIN_X, 14 * mm)
        self.setFont(self._font, 7.5)
        self.drawString(MARGIN_X, 10 * mm, self._footer)
        self.drawRightString(width - MARGIN_X, 10 * mm, f"第 {page} 页 共 {total} 页")
        if page > 1:
            self.setFillColor(colors.grey)
            self.drawString(MARGIN_X, _height - 11 * mm, self._heading)
        self.restoreState()


def render_pdf(record: OpeningRecord) -> bytes:
    font = cjk_font()
    styles = _styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=16 * mm,
        bottomMargin=MARGIN_BOTTOM,
        title=f"开标记录 {record.section.code}",
        author=record.trading_centre,
        subject=record.section.name,
        creator="ggzy",
        invariant=1,
    )
    footer = f"本记录的电子数据摘要 SM3: {sm3_hex(record_json(record))}"
    heading = f"开标记录  {record.section.code}  {record.section.name}"
    maker = functools.partial(_NumberedCanvas, footer=footer, heading=heading, font=font)
    doc.build(_story(record, styles, doc.width), canvasmaker=maker)
    return buffer.getvalue()
