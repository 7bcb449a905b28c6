"""Logging of refusals: a 4xx is one line saying who asked for what and why, not a traceback.

Django logs every 4xx response on ``django.request`` as a WARNING, and a ``PermissionDenied``
with its whole traceback; ``django.security.*`` logs a suspicious request with its traceback
at ERROR. A refusal is the system working as designed, so :class:`RefusalFilter` turns each
such record into one line — ``refused 403 GET /path user=… code=… addr=…`` — without the
traceback: INFO for ordinary refusals (``django.request``), WARNING for the security ones
(CSRF failures, disallowed hosts, oversized requests), which an operator should notice.
5xx records are left alone: a real error keeps its traceback.

The refusal's stable code comes from the request when a handler put one there
(:func:`mark_refusal`: the API's exception handler, the lockout page), else from the
exception or the status.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest

_CODE_ATTRIBUTE = "ggzy_refusal_code"
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
}
_CODE_BY_EXCEPTION = {"PermissionDenied": "permission_denied", "Http404": "not_found"}


def mark_refusal(request: Any, code: str) -> None:
    """Remember the refusal's stable code on the Django request for the log line."""
    inner = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    if isinstance(inner, HttpRequest):
        setattr(inner, _CODE_ATTRIBUTE, code)


def _escaped(value: object) -> str:
    """Untrusted text on one line (a path or a Host header can carry a newline)."""
    return str(value).encode("unicode_escape").decode("ascii")


def _who(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return _escaped(user.get_username())
    return "anonymous"


def _address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or what our own proxies (PROXY_COUNT) saw, as the ledger records it."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return _escaped(forwarded[-proxies])
    return _escaped(request.META.get("REMOTE_ADDR") or "-")


def _code(record: logging.LogRecord, request: HttpRequest, status: int) -> str:
    marked = getattr(request, _CODE_ATTRIBUTE, None)
    if marked:
        return str(marked)
    if record.name == "django.security.csrf":
        return "csrf"
    if record.name.startswith("django.security."):
        return record.name.removeprefix("django.security.")
    if record.exc_info and record.exc_info[0] is not None:
        name = record.exc_info[0].__name__
        if name in _CODE_BY_EXCEPTION:
            return _CODE_BY_EXCEPTION[name]
    return _CODE_BY_STATUS.get(status, f"http_{status}")


class RefusalFilter(logging.Filter):
    """Rewrites a 4xx record (Django's ``log_response``) into one line without traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if getattr(record, "ggzy_refusal", False):
            return True  # already rewritten by the logger's filter; the handler's sees it again
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        if not isinstance(request, HttpRequest):
            return True
        security = record.name.startswith("django.security.")
        reason = ""
        if security:
            reason = " reason=" + _escaped(record.getMessage())
        record.msg = "refused %s %s %s user=%s code=%s addr=%s%s"
        record.args = (
            status,
            _escaped(request.method),
            _escaped(request.path),
            _who(request),
            _code(record, request, status),
            _address(request),
            reason,
        )
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.ggzy_refusal = True
        level = logging.WARNING if security else logging.INFO
        record.levelno, record.levelname = level, logging.getLevelName(level)
        # The logger admitted the record at its original level; honour the configured level
        # for the one it has now.
        return logging.getLogger(record.name).isEnabledFor(level)
