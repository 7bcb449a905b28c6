"""A minimal valid PDF (one page of ASCII text, Helvetica) with a correct cross-reference
table: enough for a guarantee document that PDF readers open and the platform accepts."""

from __future__ import annotations


def _escape(line: str) -> bytes:
    text = line.encode("ascii", "replace").decode("ascii")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii")


def minimal_pdf(lines: list[str], *, padding: int = 0) -> bytes:
    """One page with ``lines``; ``padding`` bytes of PDF comment after the end (to make an
    oversize document that is still a PDF)."""
    text = (
        b"BT /F1 11 Tf 56 780 Td 16 TL "
        + b" ".join(b"(" + _escape(line) + b") Tj T*" for line in lines)
        + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    while padding > 0:
        chunk = min(padding, 1024)
        out += b"%" + b"0" * (chunk - 2) + b"\n" if chunk >= 2 else b"\n"
        padding -= chunk
    return bytes(out)
