"""The layout the platform's A4 PDFs share (reportlab): the opening record
(``realtime.record_pdf``) and the evaluation report (``experts.report_pdf``). In the kernel so
that every floor may use it; it imports reportlab and :mod:`ggzy.pdf_fonts` only.

One look for both: the paragraph styles (:func:`styles`), escaped paragraphs
(:func:`paragraph`), long texts cut into pieces that never span pages (:func:`long_text`),
ruled tables (:func:`grid`), and the page frame — margins, a running heading from the second
page on and a footer with ``第 x 页 共 y 页`` (:class:`NumberedCanvas`, :func:`render_a4`).
The font is :func:`ggzy.pdf_fonts.cjk_font`; ``invariant=1`` makes the bytes the same for the
same input on one machine.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape  # nosec B406 # escapes text for reportlab markup, parses no XML

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ggzy.pdf_fonts import cjk_font

MONO_FONT = "Courier"
MARGIN_X = 16 * mm
MARGIN_TOP = 16 * mm
MARGIN_BOTTOM = 20 * mm
GRID = colors.HexColor("#9aa3ad")
HEAD = colors.HexColor("#e8edf3")

Styles = dict[str, ParagraphStyle]


def styles(font: str) -> Styles:
    """The paragraph styles by name: base, title, subtitle, h2, cell, num, mono, small."""
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


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain ``text`` (escaped for reportlab's markup) as a paragraph; a newline breaks the line."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# reportlab lays a paragraph out again from its start at every page it is split over: one long
# paragraph costs time quadratic in its length (200k characters took 6 s, 400k 25 s). Long
# texts are cut into paragraphs of at most this many characters, at line and sentence ends
# where there are some, so that none spans pages.
PIECE_CHARS = 600
SENTENCE_ENDS = "。！？；!?;"


def pieces(text: str) -> list[str]:
    """``text`` cut at its line ends, and each line longer than ``PIECE_CHARS`` after its last
    sentence end in the second half of the window (or hard at ``PIECE_CHARS``)."""
    cut_pieces: list[str] = []
    for line in text.split("\n"):
        while len(line) > PIECE_CHARS:
            window = line[:PIECE_CHARS]
            cut = max(window.rfind(mark) for mark in SENTENCE_ENDS) + 1
            cut = cut if cut > PIECE_CHARS // 2 else PIECE_CHARS
            cut_pieces.append(line[:cut])
            line = line[cut:]
        cut_pieces.append(line)
    return cut_pieces


def long_text(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """A text of any length as paragraphs; a short one is exactly ``paragraph(text)``."""
    if len(text) <= PIECE_CHARS:
        return [paragraph(text, style)]
    return [paragraph(piece, style) for piece in pieces(text)]


def grid(
    data: list[list[Any]],
    widths: list[float],
    *,
    header: bool = True,
    extra: list[tuple[Any, ...]] | None = None,
) -> Table:
    """A ruled table. With ``header`` its first row is shaded and repeats on every page;
    without, it is a key-value table whose first and third columns (the keys) are shaded.
    ``extra`` table style commands come after these."""
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
    table.setStyle(TableStyle(commands + (extra or [])))
    return table


class NumberedCanvas(Canvas):
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
        width, height = self._pagesize
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
            self.drawString(MARGIN_X, height - 11 * mm, self._heading)
        self.restoreState()


def render_a4(
    story: Callable[[Styles, float], list[Flowable]],
    *,
    title: str,
    author: str,
    subject: str,
    footer: str,
    heading: str,
) -> bytes:
    """The PDF of ``story(styles, frame width)`` on A4 pages, in the CJK font, with ``footer``
    and the page number at the foot of every page and ``heading`` atop every page but the
    first; ``title``, ``author`` and ``subject`` are the document's metadata."""
    font = cjk_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        subject=subject,
        creator="ggzy",
        invariant=1,
    )
    maker = functools.partial(NumberedCanvas, footer=footer, heading=heading, font=font)
    doc.build(story(styles(font), doc.width), canvasmaker=maker)
    return buffer.getvalue()
