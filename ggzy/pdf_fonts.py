"""The Chinese font of the platform's PDFs (reportlab): the opening record
(``realtime.record_pdf``) and the evaluation report (``experts.report_pdf``). In the kernel so
that every floor may use it.

Chinese needs a CJK font. reportlab embeds only TrueType-outline fonts, and Debian's
``fonts-noto-cjk`` (the CJK font the project installs) is CFF-based: reportlab refuses it
("postscript outlines are not supported"). So :func:`cjk_font` tries, in order, known
TrueType-outline CJK fonts (WenQuanYi, AR PL) and then every regular face ``fc-list
:lang=zh`` reports, embedding (subsetting) the first reportlab can load; failing all of them
it uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, UniGB-UCS2-H). That needs
no font file — so the slim production image renders PDFs too — but is not embedded: the
viewer substitutes a Song/Ming face (poppler via fontconfig, e.g. Noto Serif CJK; Acrobat,
pdf.js and browsers ship one). Text extraction works either way. The choice is made once
per process; a PDF's bytes are reproducible for one input on one machine (``invariant=1``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess  # nosec B404 # fc-list only, fixed arguments

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

EMBEDDED_FONT = "GgzyCJK"  # the registered name of an embedded TrueType CJK font
FALLBACK_FONT = "STSong-Light"
KNOWN_TRUETYPE_CJK = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def _fc_list_faces() -> list[tuple[str, int]]:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run(  # nosec B603 # fc-list found by which, fixed arguments, no shell
            [fc_list, ":lang=zh", "--format", "%{file}\t%{index}\t%{style}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    faces = []
    for line in out.splitlines():
        path, _, rest = line.partition("\t")
        index, _, style = rest.partition("\t")
        if path and index.isdigit() and "bold" not in style.lower():
            faces.append((path, int(index)))
    return sorted(set(faces))


@functools.cache
def cjk_font() -> str:
    """The registered name of the CJK font the PDFs use (see the module docstring)."""
    candidates = [(path, 0) for path in KNOWN_TRUETYPE_CJK] + _fc_list_faces()
    for path, index in candidates:
        try:
            font = TTFont(EMBEDDED_FONT, path, subfontIndex=index)
        except Exception:  # noqa: S112  # nosec B112 # TTFError, OSError, or a font reportlab cannot parse
            continue
        pdfmetrics.registerFont(font)
        return EMBEDDED_FONT
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT
