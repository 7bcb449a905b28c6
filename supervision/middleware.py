"""Puts the request's network address and user into the ledger context [E49]."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ggzy.http import client_address
from supervision import ledger


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
