"""API plumbing shared by every app: the error format and the server clock."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ggzy import clock
from ggzy.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain refusals become 4xx JSON ``{code, detail, field}``; the rest is DRF's."""
    if isinstance(exc, DomainError):
        status = {"forbidden": 403, "not_found": 404, "conflict": 409, "duplicate": 409}.get(
            exc.code, 400
        )
        return Response(exc.as_dict(), status=status)
    return drf_exception_handler(exc, context)


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
