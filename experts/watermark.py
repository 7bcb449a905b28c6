"""Downloads of a decrypted bid by a committee member carry the member's name: every page of
a PDF gets a diagonal stamp (name, time, section) drawn by reportlab and merged by pypdf;
any other file keeps its bytes and gets the name in its file name (decision 91). Each
download is ledgered by the caller."""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from ggzy.pdf_fonts import cjk_font

STAMP_COLOUR = Color(0.8, 0.1, 0.1, alpha=0.18)


def _stamp(text: str, width: float, height: float) -> PdfReader:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=1)
    canvas.setFillColor(STAMP_COLOUR)
    canvas.setFont(cjk_font(), max(12.0, min(width, height) / 28))
    canvas.translate(width / 2, height / 2)
    canvas.rotate(35)
    for offset in (-height / 3, 0, height / 3):
        canvas.drawCentredString(0, offset, text)
    canvas.save()
    buffer.seek(0)
    return PdfReader(buffer)


def stamp_pdf(data: bytes, text: str) -> bytes | None:
    """The PDF with ``text`` stamped on every page; None when it is not a readable PDF."""
    try:
        reader = PdfReader(io.BytesIO(data))
        writer = PdfWriter()
        stamps: dict[tuple[float, float], PdfReader] = {}
        for page in reader.pages:
            size = (float(page.mediabox.width), float(page.mediabox.height))
            if size not in stamps:
                stamps[size] = _stamp(text, *size)
            page.merge_page(stamps[size].pages[0])
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError, TypeError):
        return None
    return out.getvalue()


def marked(name: str, data: bytes, text: str, *, who: str) -> tuple[str, bytes]:
    """The file name and bytes to send: a stamped PDF, or the file with ``who`` in its name."""
    path = PurePosixPath(name)
    if path.suffix.lower() == ".pdf":
        stamped = stamp_pdf(data, text)
        if stamped is not None:
            return path.name, stamped
    return f"{path.stem}-{who}{path.suffix}", data
