"""The portal's charts, drawn on the server as SVG with pygal: bids arriving near each
deadline, prices against the ceiling, how far experts' totals stray from their committee's,
alerts per month. Each chart has its data beside it as a table (``Chart.rows``) for those
who would rather read, or cannot see.

Only what the regulator may know now goes in: bids of sections past their deadline
[E21, E27], prices once read out [E30], scores once entered.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pygal
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from pygal.style import Style

from bidding.models import Bid
from experts.models import Score
from ggzy import clock
from realtime.models import BidOpening, HallStage
from trading.models import Section

RECENT_SECTIONS = 8  # per chart: more would not be readable
READ_OUT = (HallStage.READING, HallStage.CONFIRMATION, HallStage.OBJECTIONS, HallStage.CLOSED)

STYLE = Style(
    font_family='"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",'
    "sans-serif",
    background="white",
    no_data_font_size=20,
    plot_background="white",
    foreground="#243b53",
    foreground_strong="#102a43",
    foreground_subtle="#829ab1",
    colors=("#2f6fed", "#e8590c", "#2b8a3e", "#9c36b5", "#c92a2a", "#1098ad", "#5c940d", "#862e9c"),
)


@dataclass
class Chart:
    """A chart's title, its table (header and rows) and the pygal graph drawn from them.
    The SVG is rendered only when asked for: the charts page shows the tables, and each
    image's own request draws its graph."""

    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    graph: Any = None

    @property
    def svg(self) -> bytes:
        return bytes(self.graph.render())


def _config(chart: Any, title: str, ident: str) -> Any:
    chart.title = title
    # pygal names each drawing with a random id; a fixed one keeps the same figures the
    # same bytes (a page that changes by itself would hide one that changes for a reason).
    chart.uuid = ident
    chart.no_data_text = _("Nothing to draw yet.")
    chart.truncate_legend = -1  # section codes are read whole
    chart.js = []  # no script from elsewhere (and none runs in an <img>)
    chart.disable_xml_declaration = False
    return chart


def _past_deadline(sections: QuerySet[Section]) -> list[Section]:
    return list(
        sections.filter(bid_deadline__lte=clock.now()).order_by("-bid_deadline")[:RECENT_SECTIONS]
    )


# Minutes before the deadline at which each bucket ends, and the bucket's name.
BUCKETS: tuple[tuple[float, str], ...] = (
    (float("inf"), "> 24 h"),
    (24 * 60, "24–6 h"),
    (6 * 60, "6–1 h"),
    (60, "60–10 min"),
    (10, "10–1 min"),
    (1, "< 1 min"),
)


def _bucket(minutes_before: float) -> int:
    index = 0
    for position, (upper, _name) in enumerate(BUCKETS):
        if minutes_before <= upper:
            index = position
    return index


def arrivals(sections: QuerySet[Section]) -> Chart:
    """How many bids arrived in each span before the deadline, per section (every bid the
    server received, replaced ones too: each was an arrival)."""
    chosen = _past_deadline(sections)
    counts: dict[str, list[int]] = {section.code: [0] * len(BUCKETS) for section in chosen}
    deadlines = {section.pk: section for section in chosen}
    for section_id, received_at in Bid.objects.filter(section__in=chosen).values_list(
        "section_id", "received_at"
    ):
        section = deadlines[section_id]
        minutes = (section.bid_deadline - received_at).total_seconds() / 60
        counts[section.code][_bucket(minutes)] += 1
    chart = Chart(
        title=_("Bids arriving before each deadline"),
        header=[_("Section"), *[name for _upper, name in BUCKETS]],
        rows=[[code, *values] for code, values in counts.items()],
    )
    bar = _config(
        pygal.Bar(style=STYLE, height=360, legend_at_bottom=True), chart.title, "arrivals"
    )
    bar.x_labels = [name for _upper, name in BUCKETS]
    bar.y_title = _("bids")
    for code, values in counts.items():
        bar.add(code, values)
    chart.graph = bar
    return chart


def prices(sections: QuerySet[Section]) -> Chart:
    """Each section's prices read out, as a percentage of its ceiling (or, without one, of
    its estimated price): a tight cluster just under 100 is worth a look."""
    chosen = [
        section
        for section in _past_deadline(sections)
        if section.price_ceiling or section.estimated_price
    ]
    spread: dict[str, list[float]] = {}
    for section in chosen:
        base = section.price_ceiling or section.estimated_price
        read = BidOpening.objects.filter(
            hall__section=section, hall__stage__in=READ_OUT, sheet__isnull=False
        ).values_list("sheet", flat=True)
        values = [
            round(float(Decimal(str(sheet["price"])) / base * 100), 2)
            for sheet in read
            if isinstance(sheet, dict) and sheet.get("price") not in (None, "")
        ]
        if values:
            spread[section.code] = sorted(values)
    chart = Chart(
        title=_("Prices read out, as a percentage of the ceiling"),
        header=[_("Section"), _("Lowest"), _("Median"), _("Highest"), _("Bids")],
        rows=[
            [code, values[0], round(statistics.median(values), 2), values[-1], len(values)]
            for code, values in spread.items()
        ],
    )
    box = _config(pygal.Box(style=STYLE, height=360, box_mode="extremes"), chart.title, "prices")
    box.y_title = "%"
    everything = [value for values in spread.values() for value in values]
    if everything:  # from just below the lowest price to the ceiling (100) and above
        low = math.floor(min(everything)) - 2
        box.range = (low, max(100, math.ceil(max(everything))) + 2)
        box.zero = low  # pygal otherwise draws from 0 and the prices crowd the top
    for code, values in spread.items():
        box.add(code, values)
    chart.graph = box
    return chart


def score_spread(sections: QuerySet[Section]) -> Chart:
    """How far each member's total for a bid lies from the committee's median total for that
    bid, per section: one expert far from the rest shows as a long whisker."""
    chosen = _past_deadline(sections)
    totals: dict[tuple[str, int, int], Decimal] = defaultdict(Decimal)
    scores = Score.objects.filter(member__evaluation__section__in=chosen).values_list(
        "member__evaluation__section__code", "bid_id", "member_id", "value"
    )
    for code, bid_id, member_id, value in scores:
        totals[(code, bid_id, member_id)] += value
    by_bid: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
    for (code, bid_id, _member), total in totals.items():
        by_bid[(code, bid_id)].append(total)
    deviations: dict[str, list[float]] = defaultdict(list)
    for (code, _bid), bid_totals in by_bid.items():
        middle = statistics.median(bid_totals)
        deviations[code].extend(float(total - middle) for total in bid_totals)
    chart = Chart(
        title=_("Experts' totals against their committee's median (points)"),
        header=[_("Section"), _("Largest below"), _("Largest above"), _("Scores")],
        rows=[
            [code, round(min(values), 2), round(max(values), 2), len(values)]
            for code, values in deviations.items()
        ],
    )
    box = _config(pygal.Box(style=STYLE, height=360, box_mode="extremes"), chart.title, "scores")
    box.y_title = _("points")
    for code, values in deviations.items():
        box.add(code, values)
    chart.graph = box
    return chart


def monthly(title: str, counts: dict[str, int], *, ident: str = "months") -> Chart:
    """A bar per month from ``{"2026-11": n, …}`` (in order)."""
    chart = Chart(
        title=title, header=[_("Month"), _("Count")], rows=[[k, v] for k, v in counts.items()]
    )
    bar = _config(pygal.Bar(style=STYLE, height=320, show_legend=False), title, ident)
    bar.x_labels = list(counts)
    bar.x_label_rotation = 30
    bar.add(title, list(counts.values()))
    chart.graph = bar
    return chart
