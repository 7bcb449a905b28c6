"""Puts the request's network address and user into the ledger context [E49]."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from supervision import ledger


def client_address(meta: dict[str, str]) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies (``PROXY_COUNT``) saw."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return meta.get("REMOTE_ADDR") or None


class LedgerContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with ledger.acting(address=client_address(request.META), user=_LazyUser(request)):
            return self.get_response(request)


class _LazyUser:
    """The request's user as it is when an entry is written (login changes it mid-request)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def __getattr__(self, name: str) -> object:
        return getattr(self._request.user, name)
