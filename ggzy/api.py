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
