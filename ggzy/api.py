"""API plumbing shared by every app: the error format and the server clock."""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import translation
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ggzy import clock
from ggzy.errors import DomainError
from ggzy.log import mark_refusal


def wait_in_words(seconds: float) -> tuple[str, str]:
    """A wait as people say it, in Chinese and English: seconds below two minutes, else
    whole minutes rounded up (never promise earlier than the server will accept)."""
    whole = max(1, math.ceil(seconds))
    if whole < 120:
        return f"{whole} 秒", f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    return f"{minutes} 分钟", f"{minutes} minutes"


def too_many_requests(
    seconds: float, *, code: str, reason_zh: str, reason_en: str
) -> tuple[dict[str, object], dict[str, str]]:
    """The body and headers of every 429: ``Retry-After`` in whole seconds, and a bilingual
    ``detail`` that says why and when to try again."""
    whole = max(1, math.ceil(seconds))
    zh, en = wait_in_words(whole)
    detail = f"{reason_zh}，请在 {zh}后重试 / {reason_en}: try again in {en}"
    return {"code": code, "detail": detail, "retry_after": whole}, {"Retry-After": str(whole)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain refusals become 4xx JSON ``{code, detail, field}``; throttling a 429 that says
    when to retry; the rest is DRF's."""
    request = context.get("request")
    if isinstance(exc, DomainError):
        status = {"forbidden": 403, "not_found": 404, "conflict": 409, "duplicate": 409}.get(
            exc.code, 400
        )
        mark_refusal(request, exc.code)
        return Response(exc.as_dict(), status=status)
    if isinstance(exc, exceptions.Throttled):
        mark_refusal(request, "throttled")
        # The throttles in ggzy.throttling always know the wait; a minute is the fallback
        # for any other throttle that does not.
        wait: float | None = getattr(exc, "wait", None)
        body, headers = too_many_requests(
            wait or 60,
            code="throttled",
            reason_zh="请求过于频繁",
            reason_en="Too many requests",
        )
        return Response(body, status=429, headers=headers)
    response = drf_exception_handler(exc, context)
    if response is not None:
        mark_refusal(request, _drf_code(exc))
        _in_both_languages(exc, response)
    return response


def _in_both_languages(exc: Exception, response: Response) -> None:
    """DRF's own refusals (401, 403, 404…) say their stock sentence in the request's language
    only; like every refusal here they say it in both, "中文 / English" (issue 13). A
    refusal that carries its own message keeps it."""
    drf_class: type[exceptions.APIException] | None = None
    if isinstance(exc, exceptions.APIException):
        drf_class = type(exc)
    elif isinstance(exc, Http404):
        drf_class = exceptions.NotFound
    elif isinstance(exc, DjangoPermissionDenied):
        drf_class = exceptions.PermissionDenied
    data = response.data
    if drf_class is None or not isinstance(data, dict) or set(data) != {"detail"}:
        return
    stock = drf_class.default_detail
    with translation.override("zh-hans"):
        chinese = str(stock)
    with translation.override("en"):
        english = str(stock)
    shown = str(data["detail"])
    if chinese != english and shown in (chinese, english):
        code = getattr(data["detail"], "code", None)
        data["detail"] = exceptions.ErrorDetail(f"{chinese} / {english}", code=code)


def _drf_code(exc: Exception) -> str:
    """The stable code of a refusal DRF answers (Django's Http404 and PermissionDenied too)."""
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    return str(getattr(exc, "default_code", "refused"))


# The refusals every operation may answer, in the format ``exception_handler`` writes (DRF's
# own 401/403/404/429 and validation errors share it: ``detail``, or a field → messages map).
_ERROR_STATUSES = {
    "400": "Refused: the request is invalid (code, detail, field say why)",
    "401": "Not authenticated",
    "403": "Forbidden (or a refusal with code forbidden)",
    "404": "Not found, or not visible to you",
    "405": "Method not allowed",
    "409": "Conflict with the current state",
    "415": "Unsupported media type",
    "429": "Too many requests; see Retry-After",
}
_ERROR_SCHEMA = {
    "type": "object",
    "description": "A refusal: {code, detail, field} (DomainError) or DRF's {detail} / "
    "{field: [messages]}.",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
    },
}


# What Django's path converters match (int: [0-9]+, uuid: lower-case hex, str: no "/"): a
# value outside them matches no route at all, so the schema must not promise it.
_PATH_CONSTRAINTS = {
    "integer": {"minimum": 0, "maximum": 2**63 - 1},
    "uuid": {"pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
    "string": {"pattern": "^[^/]+$"},
}


def _constrain_path_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and "pattern" not in schema and "minimum" not in schema:
            kind = "uuid" if schema.get("format") == "uuid" else schema.get("type", "")
            schema.update(_PATH_CONSTRAINTS.get(kind, {}))


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation documents the refusals it can
    answer, so that clients (and schemathesis' status-code check) know them; a status an
    operation documents itself is kept. Path parameters say what their route matches."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            _constrain_path_parameters(operation)
            responses = operation.setdefault("responses", {})
            for status, description in _ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result


@extend_schema(
    responses=inline_serializer(
        "ServerTime",
        {"now": serializers.DateTimeField(), "epoch_ms": serializers.IntegerField()},
    ),
    description="The authoritative server time. Clients compute their offset from it and "
    "show every countdown from server time, never their own clock.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def server_time(request: Request) -> Response:
    moment = clock.now()
    response = Response({"now": moment.isoformat(), "epoch_ms": clock.epoch_ms(moment)})
    response["Cache-Control"] = "no-store"
    return response


class ApiDocsView(SpectacularSwaggerSplitView):
    """The API docs (Swagger UI), public like the schema it renders: the API is public and
    ggzy-bid's users integrate against it. The split view serves its start-up script from a
    URL (``?script``), not inline, and our template takes drf-spectacular's inline <style>
    to a static file, so the page runs under the site's policy; urls.py only adds ``data:``
    images, which Swagger UI's stylesheet uses for its icons."""

    template_name = "api/swagger_ui.html"
