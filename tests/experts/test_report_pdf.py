"""The evaluation report as a PDF (experts.report_pdf): a report built by hand as
``experts.report.build`` returns it, no database.

The checks read the PDF back with poppler's ``pdftotext`` and ``pdffonts``. Without
poppler-utils they are skipped on a developer's machine but fail in CI (``CI=true``;
tests/tools.py), as the opening record's are (tests/realtime/test_record.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reportlab

from experts.models import RejectionGround
from experts.report_pdf import GROUNDS, render
from ggzy import pdf_fonts
from ggzy_core.gm.sm3 import sm3_hex
from tests import tools

_NO_POPPLER = "needs poppler-utils (pdftotext, pdffonts): apt-get install poppler-utils"
SM3 = sm3_hex(b"the report's canonical JSON")
DISSENT = "第3号投标的技术方案未说明冬季施工措施，技术分不应高于第1号投标；本人不同意排名。"
LONG_BIDDER = "江苏省" + "某某" * 40 + "市政工程建设集团有限公司"
A4_WIDTH = 595.28
MARGIN = 16 * 72 / 25.4


def member(order: int, name: str, kind: str = "expert", leader: bool = False) -> dict[str, Any]:
    return {"order": order, "name": name, "kind": kind, "leader": leader}


def bid(number: int, bidder: str, code: str, price: str, **more: Any) -> dict[str, Any]:
    return {
        "number": number,
        "bidder": bidder,
        "credit_code": code,
        "price": price,
        "totals": {},
        "result": None,
        "rejected": False,
        "rejections": [],
        "clarifications": [],
        **more,
    }


def build_content() -> dict[str, Any]:
    return {
        "format": "ggzy-evaluation-report/1",
        "section": {"code": "GGZY-2025-0042-01", "name": "滨江大道快速化改造工程施工第一标段"},
        "method": "comprehensive",
        "criteria": [
            {"order": 1, "name": "商务部分 Commercial", "maximum": "30.00", "weight": "1.00"},
            {"order": 2, "name": "技术部分 Technical", "maximum": "50.00", "weight": "1.00"},
            {"order": 3, "name": "投标报价 Price", "maximum": "20.00", "weight": "1.00"},
        ],
        "members": [
            member(1, "张建国", leader=True),
            member(2, "李秀英"),
            member(3, "王志强"),
            member(4, "赵丽华"),
            member(5, "陈明", kind="representative"),
        ],
        "bids": [
            bid(
                1,
                "江南建工集团有限公司",
                "91320100MA1XK5P2T3",
                "47850000.00",
                totals={"1": "88.50", "2": "87.00", "3": "89.00", "4": "71.00", "5": "88.00"},
                result="84.70",
                clarifications=[
                    {
                        "asked_by": 2,
                        "question": "请说明项目经理的在建项目情况。",
                        "answer": "项目经理目前无在建项目。",
                        "answered_at": "2025-03-20T02:15:00+00:00",
                    }
                ],
            ),
            bid(
                2,
                "扬子江建设发展有限公司",
                "91320500MA1YB7Q8XK",
                "46920300.50",
                rejected=True,
                rejections=[
                    {"member": 1, "ground": "not_responsive", "reason": "工期超过招标文件要求。"},
                    {"member": 2, "ground": "not_responsive", "reason": "工期不响应。"},
                    {"member": 3, "ground": "price", "reason": "报价低于成本且未能合理说明。"},
                ],
            ),
            bid(
                3,
                LONG_BIDDER,
                "91320200MA1WQ3R6YH",
                "48312000",
                totals={"1": "82.00", "2": "83.50", "3": "81.00", "4": "84.00", "5": "82.50"},
                result="82.60",
            ),
        ],
        "points": [],
        "ranking": [1, 3],
        "candidates": [1, 3],
        "outliers": [{"member": 4, "bid": 1, "value": "71.00", "others": "88.13"}],
        "opened_at": "2025-03-20T01:00:00+00:00",
        "extensions": 1,
        "concluded_at": "2025-03-20T08:30:00+00:00",
    }


def signature(order: int, kind: str = "expert", **more: Any) -> dict[str, Any]:
    return {
        "member": order,
        "kind": kind,
        "agrees": True,
        "dissent": "",
        "signature": "MEUCIQ==",
        "key": sm3_hex(f"key {order}".encode()),
        "signed_at": f"2025-03-20T09:0{order}:00+00:00",
        "deemed_agreed": False,
        **more,
    }


def build_signatures() -> list[dict[str, Any]]:
    return [
        signature(1),
        signature(2),
        signature(3),
        signature(4, agrees=False, dissent=DISSENT),
        signature(
            5,
            kind="representative",
            signature=None,
            key=None,
            signed_at=None,
            deemed_agreed=True,
        ),
    ]


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    tools.require(path, f"{tool}: {_NO_POPPLER}")
    assert path is not None
    return path


def _write(pdf: bytes, tmp_path: Path) -> Path:
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    return source


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, all whitespace removed (table cells may wrap anywhere)."""
    text = subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(_write(pdf, tmp_path)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


def pdf_fonts_of(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """``pdffonts``' rows: name, type…, encoding, emb, sub, uni, object, generation."""
    out = subprocess.run(
        [_poppler("pdffonts"), str(_write(pdf, tmp_path))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def render_report(content: dict[str, Any] | None = None) -> bytes:
    return render(content or build_content(), build_signatures(), report_sm3=SM3)


def squeeze(text: str) -> str:
    return "".join(text.split())


def test_the_pdf_shows_the_report_with_the_sm3_on_every_page(tmp_path: Path) -> None:
    pdf = render_report()
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf, tmp_path)
    text = "".join(pages)
    for needle in (
        "评标报告",
        "Evaluationreport",
        "GGZY-2025-0042-01",
        "滨江大道快速化改造工程施工第一标段",
        "综合评估法",
        "江南建工集团有限公司",
        "扬子江建设发展有限公司",
        LONG_BIDDER,  # wrapped in its cell, whole
        "张建国",
        "陈明",
        "招标人代表",
        "组长",
        "47,850,000.00",
        "46,920,300.50",
        "48,312,000.00",
        "84.70",
        "否决Rejected（3/5成员）",
        "工期超过招标文件要求。",
        "报价低于成本且未能合理说明。",
        "请说明项目经理的在建项目情况。",
        "项目经理目前无在建项目。",
        "2025-03-2010:15:00北京时间(UTC+8)",  # answered at 02:15 UTC
        "71.00*",  # the outlier, flagged
        "88.13",
        "第一中标候选人",
        "第二中标候选人",
        "第一：1号江南建工集团有限公司",
        squeeze(DISSENT),
        "视为同意",
        sm3_hex(b"key 4"),
        "SM3:" + SM3,
    ):
        assert needle in text, needle
    assert "第三中标候选人" not in text
    total = len(pages)
    for number, page in enumerate(pages, 1):
        assert "SM3:" + SM3 in page
        assert f"第{number}页共{total}页" in page


def test_the_pdf_is_the_same_bytes_for_the_same_report() -> None:
    assert render_report() == render_report()


def test_every_rejection_ground_prints_in_words_not_as_its_code(tmp_path: Path) -> None:
    assert set(GROUNDS) == set(RejectionGround)  # experts.report_pdf also refuses to import
    content = build_content()
    content["bids"][1]["rejections"] = [
        {"member": 1, "ground": ground.value, "reason": "理由。"} for ground in RejectionGround
    ]
    text = "".join(pdf_pages(render_report(content), tmp_path))
    for ground in RejectionGround:
        chinese, english = GROUNDS[ground]
        assert squeeze(chinese) in text, ground
        assert squeeze(english) in text, ground


def test_long_names_and_reasons_wrap_inside_the_page(tmp_path: Path) -> None:
    content = build_content()
    reason = "该投标文件的施工组织设计与招标文件要求不一致" * 150 + "。"
    content["bids"][1]["rejections"][0]["reason"] = reason
    content["members"][2]["name"] = "欧阳" + "长名" * 30
    pdf = render_report(content)
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 3
    # The reason runs over a page break: leave out the footer and the next page's heading.
    running = rf"本报告的电子数据摘要SM3:{SM3}第\d+页共\d+页|评标报告GGZY-2025-0042-01滨江大道[^第]*第一标段"
    assert squeeze(reason) in re.sub(running, "", "".join(pages))
    html = subprocess.run(
        [_poppler("pdftotext"), "-bbox", str(_write(pdf, tmp_path)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    right_edges = [
        float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"', html)
    ]
    assert right_edges
    assert max(right_edges) <= A4_WIDTH - MARGIN + 1


@pytest.fixture
def truetype_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The only TrueType font the machine offers is reportlab's own Vera (no CJK glyphs, but
    TrueType outlines, as WenQuanYi's): ``cjk_font`` chooses and embeds it."""
    vera = str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")
    monkeypatch.setattr(pdf_fonts, "KNOWN_TRUETYPE_CJK", (vera,))
    monkeypatch.setattr(pdf_fonts, "_fc_list_faces", list)
    pdf_fonts.cjk_font.cache_clear()
    yield vera
    pdf_fonts.cjk_font.cache_clear()  # the next caller chooses again, from the real fonts


def test_a_truetype_font_is_embedded(truetype_only: str, tmp_path: Path) -> None:
    assert pdf_fonts.cjk_font() == pdf_fonts.EMBEDDED_FONT
    rows = pdf_fonts_of(render_report(), tmp_path)
    embedded = [row for row in rows if "TrueType" in row and row[-5] == "yes"]
    assert embedded, rows
    assert all(row[0].endswith("BitstreamVeraSans-Roman") for row in embedded), rows


def test_the_font_this_machine_has_is_embedded_or_the_builtin_is_named(tmp_path: Path) -> None:
    rows = pdf_fonts_of(render_report(), tmp_path)
    if pdf_fonts.cjk_font() == pdf_fonts.EMBEDDED_FONT:
        assert any("TrueType" in row and row[-5] == "yes" for row in rows), rows
    else:
        builtin = [row for row in rows if row[0] == pdf_fonts.FALLBACK_FONT]
        assert builtin, rows
        assert all(row[-5] == "no" for row in builtin), rows
