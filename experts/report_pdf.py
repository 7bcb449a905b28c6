"""The evaluation report as an A4 PDF (reportlab), for people; the canonical JSON
(``experts.report.build``) is what the members sign and what the ledger's SM3 names.

:func:`render` lays out exactly that JSON and the members' answers
(``experts.report.signatures``): the section and method, the committee, the criteria, each
bid (price read out, result, rank, rejection) and each member's total for it, the ranking and
at most three candidates [R53], rejections with their grounds and reasons [R51],
clarifications [R52], outlying totals, and the signatures with any dissent's written reasons
[R53]. Every page's footer carries the report's SM3 and the page number.

Headings are bilingual, Chinese first. Free texts (reasons, questions, answers, dissents) are
laid out as paragraphs below the tables, cut into pieces (``ggzy.pdf_layout.long_text``), so
none of any length overflows a cell or a page. The look, the page frame and the font are the
opening record's (:mod:`ggzy.pdf_layout`, :func:`ggzy.pdf_fonts.cjk_font`: an embedded
TrueType CJK font, or reportlab's built-in ``STSong-Light``); ``invariant=1`` makes the bytes
the same for the same input on one machine.

This module imports the kernel, the core, reportlab and, of its own app, only
``experts.models`` (the rejection grounds): ``experts.report`` imports it, and it imports no
service (``experts.evaluation``, ``experts.report``, ``experts.scoring``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from experts.models import RejectionGround
from ggzy.pdf_layout import Styles, grid, long_text, paragraph, render_a4
from ggzy_core.record import format_yuan
from ggzy_core.times import beijing

FLAG = colors.HexColor("#fde2c4")  # an outlying total
MAX_CANDIDATES = 3  # [R53]
NONE = "—"

LOWEST_PRICE = "lowest_price"
METHODS = {
    "comprehensive": "综合评估法 Comprehensive scoring",
    LOWEST_PRICE: "经评审的最低投标价法 Lowest evaluated price",
}
KINDS = {"expert": "评标专家 Expert", "representative": "招标人代表 Tenderee's representative"}
# Each ground of experts.models.RejectionGround in the words of the regulation [R51] (and
# [R34]), Chinese then English (shorter than the model's label, and the same whatever the
# language of the request). Keyed by the members: a ground added to the model without its
# words here stops the import (below), rather than print as its raw code.
GROUNDS: dict[RejectionGround, tuple[str, str]] = {
    RejectionGround.UNSIGNED: (
        "投标文件未经投标单位盖章和单位负责人签字",
        "Not stamped or signed [R51(1)]",
    ),
    RejectionGround.NO_CONSORTIUM_AGREEMENT: (
        "投标联合体没有提交共同投标协议",
        "A consortium without a joint bidding agreement [R51(2)]",
    ),
    RejectionGround.NOT_QUALIFIED: (
        "投标人不符合资格条件",
        "The bidder does not meet the qualifications [R51(3)]",
    ),
    RejectionGround.TWO_OFFERS: (
        "同一投标人提交两个以上不同的投标文件或者投标报价",
        "Two different bids or prices from one bidder [R51(4), R34]",
    ),
    RejectionGround.PRICE: (
        "投标报价低于成本或者高于最高投标限价",
        "Price below cost or above the price ceiling [R51(5)]",
    ),
    RejectionGround.NOT_RESPONSIVE: (
        "投标文件没有对招标文件的实质性要求和条件作出响应",
        "Does not answer the substantive requirements [R51(6)]",
    ),
    RejectionGround.MISCONDUCT: (
        "串通投标、弄虚作假、行贿等违法行为",
        "Collusion, fraud or bribery [R51(7)]",
    ),
}
_WORDLESS = sorted(set(RejectionGround) - set(GROUNDS))
if _WORDLESS:  # not an assert: it holds under python -O too
    raise RuntimeError(f"experts.report_pdf.GROUNDS has no words for {_WORDLESS}")
PLACES = ("第一", "第二", "第三")
PLACES_EN = ("1st", "2nd", "3rd")


def _ground(code: str) -> tuple[str, ...]:
    """A ground's words, Chinese then English; a code no ground has (in an older report) as is."""
    try:
        return GROUNDS[RejectionGround(code)]
    except ValueError:
        return (code,)


def _time(moment: str | None) -> str:
    return beijing(moment, milliseconds=False) if moment else NONE


class _Report:
    """The report's content with the look-ups the layout needs."""

    def __init__(self, content: Mapping[str, Any]) -> None:
        self.content = content
        self.section: Mapping[str, Any] = content["section"]
        self.method: str = content["method"]
        self.members: list[Mapping[str, Any]] = list(content["members"])
        self.bids: list[Mapping[str, Any]] = list(content["bids"])
        self.ranking: list[int] = list(content["ranking"])
        self.candidates: list[int] = list(content["candidates"])[:MAX_CANDIDATES]
        self.outliers: list[Mapping[str, Any]] = list(content.get("outliers") or [])
        self._member_names = {m["order"]: str(m["name"]) for m in self.members}
        self._bidders = {b["number"]: str(b["bidder"]) for b in self.bids}

    @property
    def lowest_price(self) -> bool:
        return self.method == LOWEST_PRICE

    @property
    def result_label(self) -> str:
        return "评标价（元）\nEvaluated price" if self.lowest_price else "得分\nScore"

    def amount(self, value: str | None) -> str:
        """A member's total or a bid's result: yuan under the lowest price method."""
        if value is None:
            return NONE
        return format_yuan(value) if self.lowest_price else str(value)

    def member(self, order: int) -> str:
        name = self._member_names.get(order)
        return f"成员 {order} {name}" if name else f"成员 {order}"

    def bid(self, number: int) -> str:
        bidder = self._bidders.get(number)
        return f"{number} 号 {bidder}" if bidder else f"{number} 号"

    def rank(self, number: int) -> str:
        return str(self.ranking.index(number) + 1) if number in self.ranking else NONE


def _facts(report: _Report, st: Styles, width: float) -> Table:
    content, section = report.content, report.section
    members = report.members
    experts = sum(m["kind"] == "expert" for m in members)
    committee = f"{len(members)} 人（专家 {experts}，招标人代表 {len(members) - experts}）"
    extensions = content.get("extensions")
    pairs = [
        ("标段编号\nSection code", str(section["code"]), "标段名称\nSection", str(section["name"])),
        (
            "评标办法\nMethod",
            METHODS.get(report.method, report.method),
            "评标委员会\nCommittee",
            committee,
        ),
        (
            "评标开始\nOpened",
            _time(content.get("opened_at")),
            "评标结束\nConcluded",
            _time(content.get("concluded_at")),
        ),
        (
            "投标数\nBids",
            f"{len(report.bids)} 份",
            "延长评标时间\nExtensions",
            f"{extensions} 次" if extensions else "无 None",
        ),
    ]
    data = [[paragraph(cell, st["cell"]) for cell in pair] for pair in pairs]
    key, value = 0.15 * width, 0.35 * width
    return grid(data, [key, value, key, value], header=False)


def _committee(report: _Report, st: Styles, width: float) -> Table:
    cell = st["cell"]
    header = ("序号\nNo.", "姓名 Name", "身份 Role", "组长 Leader")
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    for member in report.members:
        data.append(
            [
                paragraph(str(member["order"]), st["num"]),
                paragraph(str(member["name"]), cell),
                paragraph(KINDS.get(member["kind"], str(member["kind"])), cell),
                paragraph("组长 Leader" if member.get("leader") else "", cell),
            ]
        )
    return grid(data, [w * width for w in (0.08, 0.4, 0.34, 0.18)])


def _criteria(report: _Report, st: Styles, width: float) -> Table:
    cell, num = st["cell"], st["num"]
    header = ("序号\nNo.", "评审因素 Criterion", "满分 Maximum", "权重 Weight")
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    for item in report.content["criteria"]:
        maximum = item.get("maximum")
        data.append(
            [
                paragraph(str(item["order"]), num),
                paragraph(str(item["name"]), cell),
                paragraph(
                    str(maximum) if maximum is not None else "—（评标价 evaluated price）", num
                ),
                paragraph(str(item["weight"]), num),
            ]
        )
    return grid(data, [w * width for w in (0.08, 0.52, 0.22, 0.18)])


def _rejection_cell(bid: Mapping[str, Any], members: int) -> str:
    rejections = bid.get("rejections") or []
    if not rejections and not bid.get("rejected"):
        return NONE
    votes = f"{len(rejections)}/{members} 成员"
    if not bid.get("rejected"):
        return f"未否决 Not rejected（{votes}）"
    grounds = sorted({str(item["ground"]) for item in rejections})
    return f"否决 Rejected（{votes}）\n" + "\n".join(_ground(ground)[0] for ground in grounds)


def _bids(report: _Report, st: Styles, width: float) -> Table:
    cell, num = st["cell"], st["num"]
    header = (
        "序号\nNo.",
        "投标人 Bidder\n统一社会信用代码",
        "投标报价（元）\nPrice read out",
        report.result_label,
        "名次\nRank",
        "否决 Rejection [R51]",
    )
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    for bid in report.bids:
        price = bid.get("price")
        data.append(
            [
                paragraph(str(bid["number"]), num),
                [
                    paragraph(str(bid["bidder"]), cell),
                    paragraph(str(bid.get("credit_code") or ""), st["mono"]),
                ],
                paragraph(format_yuan(price) if price is not None else NONE, num),
                paragraph(NONE if bid.get("rejected") else report.amount(bid.get("result")), num),
                paragraph(report.rank(bid["number"]), num),
                paragraph(_rejection_cell(bid, len(report.members)), cell),
            ]
        )
    return grid(data, [w * width for w in (0.06, 0.3, 0.15, 0.13, 0.07, 0.29)])


def _totals(report: _Report, st: Styles, width: float) -> Table:
    """Bids down, members across; an outlying total is starred and shaded."""
    cell, num = st["cell"], st["num"]
    orders = [member["order"] for member in report.members]
    flagged = {(item["member"], item["bid"]) for item in report.outliers}
    header = ["序号\nNo.", "投标人 Bidder"] + [f"成员 {order}" for order in orders]
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    shading: list[tuple[Any, ...]] = []
    for row, bid in enumerate(report.bids, 1):
        totals: Mapping[str, str] = bid.get("totals") or {}
        cells: list[Any] = [paragraph(str(bid["number"]), num), paragraph(str(bid["bidder"]), cell)]
        for column, order in enumerate(orders, 2):
            text = report.amount(totals.get(str(order)))
            if (order, bid["number"]) in flagged:
                text += " *"
                shading.append(("BACKGROUND", (column, row), (column, row), FLAG))
            cells.append(paragraph(text, num))
        data.append(cells)
    fixed = (0.07, 0.25)
    share = (1 - sum(fixed)) / max(len(orders), 1)
    widths = [w * width for w in fixed] + [share * width] * len(orders)
    return grid(data, widths, extra=shading)


def _ranking(report: _Report, st: Styles, width: float) -> list[Flowable]:
    cell, num = st["cell"], st["num"]
    if not report.ranking:
        return [paragraph("无有效投标，未排名。No valid bid: nothing ranked.", st["base"])]
    header = (
        "名次\nRank",
        "序号\nNo.",
        "投标人 Bidder",
        report.result_label,
        "中标候选人 Candidate",
    )
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    results = {bid["number"]: bid.get("result") for bid in report.bids}
    bidders = {bid["number"]: str(bid["bidder"]) for bid in report.bids}
    for rank, number in enumerate(report.ranking, 1):
        place = report.candidates.index(number) if number in report.candidates else None
        candidate = "" if place is None else f"{PLACES[place]}中标候选人 {PLACES_EN[place]}"
        data.append(
            [
                paragraph(str(rank), num),
                paragraph(str(number), num),
                paragraph(bidders.get(number, ""), cell),
                paragraph(report.amount(results.get(number)), num),
                paragraph(candidate, cell),
            ]
        )
    flowables: list[Flowable] = [grid(data, [w * width for w in (0.08, 0.08, 0.44, 0.16, 0.24)])]
    named = "；".join(
        f"{PLACES[place]}：{report.bid(number)}" for place, number in enumerate(report.candidates)
    )
    flowables.append(Spacer(1, 1.5 * mm))
    flowables.extend(
        long_text(
            f"推荐的中标候选人（不超过三名）Candidates recommended (at most three)：{named or NONE}",
            st["base"],
        )
    )
    return flowables


def _rejections(report: _Report, st: Styles) -> list[Flowable]:
    flowables: list[Flowable] = []
    for bid in report.bids:
        for item in bid.get("rejections") or []:
            ground = " ".join(_ground(str(item["ground"])))
            text = (
                f"{report.bid(bid['number'])} — {report.member(item['member'])}："
                f"{ground}。理由 Reason：{item['reason']}"
            )
            flowables.extend(long_text(text, st["base"]))
            flowables.append(Spacer(1, 1.5 * mm))
    if not flowables:
        flowables.append(
            paragraph("评标委员会成员未否决任何投标。No member rejected a bid.", st["base"])
        )
    return flowables


def _clarifications(report: _Report, st: Styles) -> list[Flowable]:
    flowables: list[Flowable] = []
    number = 0
    for bid in report.bids:
        for item in bid.get("clarifications") or []:
            number += 1
            asked = (
                f"{number}. {report.bid(bid['number'])} — {report.member(item['asked_by'])} "
                f"问 Asked：{item['question']}"
            )
            flowables.extend(long_text(asked, st["base"]))
            answer = item.get("answer") or "（未答复 not answered）"
            when = f"（{_time(item['answered_at'])}）" if item.get("answered_at") else ""
            flowables.extend(long_text(f"答复 Answer{when}：{answer}", st["base"]))
            flowables.append(Spacer(1, 1.5 * mm))
    if not flowables:
        flowables.append(
            paragraph("评标委员会未要求投标人澄清。No clarification was asked.", st["base"])
        )
    return flowables


def _outliers(report: _Report, st: Styles, width: float) -> list[Flowable]:
    if not report.outliers:
        return [paragraph("无 None.", st["base"])]
    cell, num = st["cell"], st["num"]
    header = ("成员 Member", "投标 Bid", "该成员合计\nThis member", "其他成员均值\nOthers' mean")
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    for item in report.outliers:
        data.append(
            [
                paragraph(report.member(item["member"]), cell),
                paragraph(report.bid(item["bid"]), cell),
                paragraph(report.amount(item["value"]), num),
                paragraph(report.amount(item["others"]), num),
            ]
        )
    note = paragraph(
        "与其他成员均值相差超过规定比例的评审合计，已向监管部门提示。"
        "Totals that differ from the other members' mean by more than the set share; "
        "flagged to regulators. 上表中以 * 标出。Starred in the table above.",
        st["small"],
    )
    return [grid(data, [w * width for w in (0.26, 0.38, 0.18, 0.18)]), Spacer(1, 1 * mm), note]


def _answer(signature: Mapping[str, Any]) -> str:
    if signature.get("deemed_agreed"):
        return "视为同意 Deemed to agree（未在期限内签署 did not sign in time）"
    if signature.get("agrees"):
        return "同意 Agrees"
    return "不同意 Dissents（书面理由见下 written reasons below）"


def _signatures(
    report: _Report,
    signatures: list[dict[str, Any]],
    st: Styles,
    width: float,
) -> list[Flowable]:
    cell = st["cell"]
    # The fingerprint wraps: last, so that text extraction reads it whole.
    header = (
        "成员 Member",
        "意见 Answer",
        "签署时间 Signed at",
        "签名公钥指纹 Key fingerprint (SM3)",
    )
    data: list[list[Any]] = [[paragraph(h, cell) for h in header]]
    for signature in signatures:
        member = report.member(signature["member"])
        kind = KINDS.get(str(signature.get("kind")), "")
        signed = "SM2 签名 signed" if signature.get("signature") else "未签名 not signed"
        data.append(
            [
                paragraph(f"{member}\n{kind}".strip(), cell),
                paragraph(f"{_answer(signature)}\n{signed}", cell),
                paragraph(_time(signature.get("signed_at")), cell),
                paragraph(str(signature.get("key") or NONE), st["mono"]),
            ]
        )
    flowables: list[Flowable] = [grid(data, [w * width for w in (0.22, 0.26, 0.17, 0.35)])]
    dissents = [
        item
        for item in signatures
        if not item.get("agrees") and not item.get("deemed_agreed") and item.get("dissent")
    ]
    if dissents:
        flowables.append(
            paragraph("不同意见及理由 Dissents and their written reasons [R53]", st["h2"])
        )
        for item in dissents:
            flowables.extend(
                long_text(f"{report.member(item['member'])}：{item['dissent']}", st["base"])
            )
            flowables.append(Spacer(1, 1.5 * mm))
    return flowables


def _story(
    report: _Report,
    signatures: list[dict[str, Any]],
    st: Styles,
    width: float,
) -> list[Flowable]:
    section = report.section
    story: list[Flowable] = [
        paragraph("评标报告", st["title"]),
        paragraph("Evaluation report", st["subtitle"]),
        paragraph(f"{section['code']}  {section['name']}", st["subtitle"]),
        Spacer(1, 5 * mm),
        _facts(report, st, width),
        paragraph("一、评标委员会 The committee", st["h2"]),
        _committee(report, st, width),
        paragraph("二、评审因素 Criteria", st["h2"]),
        _criteria(report, st, width),
        paragraph("三、投标及评审结果 Bids and results", st["h2"]),
        _bids(report, st, width),
        paragraph("各成员评审合计 Each member's total", st["h2"]),
        _totals(report, st, width),
        paragraph("四、排名及中标候选人 Ranking and candidates [R53]", st["h2"]),
        *_ranking(report, st, width),
        paragraph("五、否决投标的理由 Rejections: grounds and reasons [R51]", st["h2"]),
        *_rejections(report, st),
        paragraph("六、澄清 Clarifications [R52]", st["h2"]),
        *_clarifications(report, st),
        paragraph("七、异常评分 Outlying totals", st["h2"]),
        *_outliers(report, st, width),
        paragraph("八、评标委员会成员签署 Signatures [R53]", st["h2"]),
        *_signatures(report, signatures, st, width),
        Spacer(1, 4 * mm),
        paragraph(
            "本报告由平台依据评标过程自动生成，以评标委员会成员 SM2 签名的 JSON 数据为准；"
            "页脚为该 JSON 数据的 SM3 摘要。各成员对各评审因素的打分见该 JSON 数据。"
            "Generated by the platform; the canonical JSON the members signed is authoritative "
            "(it holds each member's points per criterion); the footer is its SM3.",
            st["small"],
        ),
    ]
    return story


HEADING_CHARS = 40  # of the section's name in the running heading (one line, never wrapped)


def render(content: dict[str, Any], signatures: list[dict[str, Any]], *, report_sm3: str) -> bytes:
    """The report ``content`` (``experts.report.build``) and the members' answers
    (``experts.report.signatures``) as an A4 PDF; ``report_sm3`` (the SM3 of the canonical
    JSON) is printed in every page's footer."""
    report = _Report(content)
    code, name = str(report.section["code"]), str(report.section["name"])
    short = name if len(name) <= HEADING_CHARS else name[: HEADING_CHARS - 1] + "…"
    return render_a4(
        lambda st, width: _story(report, signatures, st, width),
        title=f"评标报告 {code}",
        author="ggzy",
        subject=name,
        footer=f"本报告的电子数据摘要 SM3: {report_sm3}",
        heading=f"评标报告  {code}  {short}",
    )
