"""The bank's door into the platform: signed callbacks announcing statement lines.

No session, no CSRF token (the bank is not a browser): the HMAC-SM3 signature, its
timestamp window and its one-time nonce authenticate the request (deposits.signatures).
A line delivered twice is recorded once; every delivery of it answers the same outcome.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from deposits import matching, signatures
from deposits.models import LineSource
from deposits.statement_format import LineError, parse_line
from ggzy.errors import DomainError
from ggzy.log import mark_refusal

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # one statement line is well under 2 KiB


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> JsonResponse:
    length = request.META.get("CONTENT_LENGTH") or "0"
    body = request.read(MAX_BODY + 1) if length.isdigit() and int(length) <= MAX_BODY else b""
    if not length.isdigit() or len(body) > MAX_BODY or int(length) > MAX_BODY:
        return _refuse(
            request,
            413,
            "too_large",
            f"回调正文超过 {MAX_BODY} 字节 / The callback body is over {MAX_BODY} bytes: send "
            "one statement line per callback",
        )
    try:
        with transaction.atomic():
            # The nonce is spent in this transaction: if recording fails, it was not used.
            signatures.verify(
                given=request.headers, method="POST", path=request.get_full_path(), body=body
            )
            line = parse_line(_object(body))
            recorded, new = matching.record_line(line, source=LineSource.CALLBACK)
    except signatures.SignatureRefused as exc:
        return _refuse(request, 401, exc.code, exc.message)
    except LineError as exc:
        return _refuse(request, 400, "invalid", str(exc))
    except DomainError as exc:
        return _refuse(request, 409, exc.code, exc.message)
    return JsonResponse({"reference": recorded.reference, "outcome": recorded.outcome, "new": new})


def _object(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LineError("正文不是 JSON / The body is not JSON") from exc
    if not isinstance(data, dict):
        raise LineError("正文须为一个 JSON 对象 / The body must be one JSON object")
    return data


def _refuse(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    mark_refusal(request, code)
    return JsonResponse({"code": code, "detail": detail}, status=status)
