"""The public open-data endpoints: the release feed, one release, one record, and a page
that explains them. No login; the JSON endpoints share the anonymous-read rate limit
(ggzy.throttling.AnonymousReadThrottle, DRF's default throttle)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from ggzy.errors import DomainError
from ggzy_core.canonical import canonical
from supervision.opendata import access, packages
from supervision.opendata.models import Release

PAGE_DEFAULT = 100
PAGE_MAX = 100  # releases per feed page [bounded input]
CURSOR_MAX_DIGITS = 18


def _json(document: dict[str, Any], **headers: str) -> HttpResponse:
    response = HttpResponse(canonical(document), content_type="application/json; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def _policy(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("opendata:index"))


def _whole(raw: str | None, *, field: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > CURSOR_MAX_DIGITS or not low <= int(raw) <= high:
        raise DomainError(
            f"参数 {field} 须为 {low} 至 {high} 之间的整数，请改正后重试 / The parameter {field} "
            f"must be a whole number from {low} to {high}: correct it and try again",
            code="invalid",
            field=field,
        )
    return int(raw)


PACKAGE = OpenApiResponse(OpenApiTypes.OBJECT, description="An OCDS 1.1 package (docs/opendata.md)")


class Feed(APIView):
    """Every release of every published section, in change order, a page at a time."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        tags=["open data"],
        summary="OCDS release package feed, in change order (next page: the Link header)",
        parameters=[
            OpenApiParameter("after", int, description="the last change order already read"),
            OpenApiParameter("limit", int, description=f"releases per page, 1 to {PAGE_MAX}"),
        ],
        responses={200: PACKAGE},
    )
    def get(self, request: Request) -> HttpResponse:
        after = _whole(
            request.GET.get("after"), field="after", default=0, low=0, high=10**CURSOR_MAX_DIGITS
        )
        limit = _whole(
            request.GET.get("limit"), field="limit", default=PAGE_DEFAULT, low=1, high=PAGE_MAX
        )
        page = list(access.public_releases().filter(order__gt=after).order_by("order")[:limit])
        package = packages.release_package(
            uri=request.build_absolute_uri(), policy=_policy(request), releases=page
        )
        headers: dict[str, str] = {}
        if len(page) == limit:
            # OCDS 1.1's package schema has no ``links``: the next page is announced in the
            # Link header (RFC 8288); a short page is the end of the feed for now.
            query = urlencode({"after": page[-1].order, "limit": limit})
            nxt = request.build_absolute_uri(f"{reverse('opendata:releases')}?{query}")
            headers["Link"] = f'<{nxt}>; rel="next"'
        return _json(package, **headers)


class ReleaseDetail(APIView):
    """One release, in a release package of its own."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(tags=["open data"], summary="One OCDS release", responses={200: PACKAGE})
    def get(self, request: Request, release_id: str) -> HttpResponse:
        release: Release = access.release_for(release_id)
        package = packages.release_package(
            uri=request.build_absolute_uri(), policy=_policy(request), releases=[release]
        )
        return _json(package)


class RecordDetail(APIView):
    """A section's record: its releases and their compiled release (ocdsmerge)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        tags=["open data"], summary="A section's OCDS record package", responses={200: PACKAGE}
    )
    def get(self, request: Request, ocid: str) -> HttpResponse:
        releases = access.releases_of(ocid)
        package = packages.record_package(
            uri=request.build_absolute_uri(),
            policy=_policy(request),
            feed=request.build_absolute_uri(reverse("opendata:releases")),
            releases=releases,
        )
        return _json(package)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the feed is, what is published when, and the downloads."""
    latest = list(access.public_releases().order_by("-order")[:20])
    return render(
        request,
        "opendata/index.html",
        {"latest": latest, "page_max": PAGE_MAX},
    )
