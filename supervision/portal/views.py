"""The regulator's portal ("e路阳光"): overview, charts, the ledger (search, export, verify),
a section's timeline and the regulator's view of its hall. Every page asks
``access.require_regulator`` first; readings of personal data (who did what from where) are
ledgered through ``supervision.readings.viewed``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from ggzy import clock
from realtime.models import Hall
from supervision import ledger, opaque_ids, readings
from supervision.models import LedgerEntry
from supervision.portal import (
    access,
    charts,
    hall_watch,
    ledger_search,
    timeline,
    verification,
)
from supervision.portal import overview as overviews
from supervision.portal.parts import alerts_per_month, waiting

PAGE = 50


@require_safe
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    access.require_regulator(request.user)
    sections = access.sections_supervised(request.user)
    page = Paginator(sections.order_by("-bid_deadline", "pk"), PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "overview": overviews.overview(sections),
        "waiting": waiting(request.user),
        "page": page,
    }
    return render(request, "supervision/overview.html", context)


CHARTS = {
    "arrivals": charts.arrivals,
    "prices": charts.prices,
    "scores": charts.score_spread,
}


def _chart(request: HttpRequest, name: str) -> charts.Chart:
    sections = access.sections_supervised(request.user)
    if name == "alerts":
        return alerts_per_month(request.user)
    if name not in CHARTS:
        raise Http404
    return CHARTS[name](sections)


@require_safe
@login_required
def chart_page(request: HttpRequest) -> HttpResponse:
    access.require_regulator(request.user)
    drawn = [(name, _chart(request, name)) for name in (*CHARTS, "alerts")]
    return render(request, "supervision/charts.html", {"charts": drawn})


@require_safe
@login_required
def chart_svg(request: HttpRequest, name: str) -> HttpResponse:
    access.require_regulator(request.user)
    drawn = _chart(request, name)
    response = HttpResponse(drawn.svg, content_type="image/svg+xml; charset=utf-8")
    # Shown through <img>, where no script runs; pygal styles the SVG inline (django-csp).
    response._csp_update = {"style-src": ["'unsafe-inline'"]}  # type: ignore[attr-defined]
    return response


@require_safe
@login_required
def ledger_page(request: HttpRequest) -> HttpResponse:
    access.require_regulator(request.user)
    form = ledger_search.LedgerFilter(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        entries = ledger_search.search({}).none()
    else:
        entries = ledger_search.search(filters)
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    hidden = ledger.first_hidden()
    rows = [
        (
            entry,
            ledger_search.shown_sequence(entry, hidden),
            timeline.label_of(entry.action),
            opaque_ids.opaque_id(LedgerEntry, entry.sequence),
        )
        for entry in page
    ]
    readings.viewed(
        reader=request.user,
        what="ledger_searched",
        data={"filters": form.filters() if filters else {}, "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/ledger.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@require_safe
@login_required
def ledger_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    access.require_regulator(request.user)
    if fmt not in ledger_search.EXPORT_FORMATS:
        raise Http404
    form = ledger_search.LedgerFilter(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request, "supervision/ledger.html", {"form": form, "page": None, "rows": []}, status=400
        )
    filters = form.cleaned_data if form.is_bound else {}
    entries = ledger_search.search(filters)
    readings.viewed(
        reader=request.user,
        what="ledger_exported",
        data={"filters": form.filters() if filters else {}, "format": fmt},
    )
    records = ledger_search.rows(entries, ledger.first_hidden())
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body: Any = ledger_search.csv_lines(records)
        content_type = "text/csv; charset=utf-8"
    else:
        body = ledger_search.json_lines(records)
        content_type = "application/json; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="ggzy-ledger-{stamp}.{fmt}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def ledger_verify(request: HttpRequest) -> HttpResponse:
    access.require_regulator(request.user)
    result = verification.run(reader=request.user) if request.method == "POST" else None
    return render(
        request,
        "supervision/verify.html",
        {"result": result, "last": verification.last_run()},
    )


@require_safe
@login_required
def section_timeline(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_supervised(request.user, code)
    phases = timeline.timeline(section)
    readings.viewed(
        reader=request.user, what="timeline_viewed", target=section, data={"section": section.code}
    )
    return render(request, "supervision/timeline.html", {"section": section, "phases": phases})


@require_safe
@login_required
def section_hall(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_supervised(request.user, code)
    # Nothing to watch before the deadline: no bidder is in a hall until then [E21].
    hall = (
        Hall.objects.select_related("section", "section__project").filter(section=section).first()
        if clock.now() >= section.bid_deadline
        else None
    )
    watched = hall_watch.watch(hall) if hall is not None else None
    if hall is not None:
        readings.viewed(
            reader=request.user, what="hall_viewed", target=section, data={"section": section.code}
        )
    return render(request, "supervision/hall.html", {"section": section, "watch": watched})
