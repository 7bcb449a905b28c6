"""Every route the URL resolvers know: HTTP (pages, API, admin) and websocket.

The authorization matrix is checked against this list, so a route added without a row in
the matrix fails the suite (tests/security/test_authorization_matrix.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str
    callback: Any

    @property
    def methods(self) -> frozenset[str] | None:
        """The methods a class-based API view implements (None: a function view)."""
        view_class = getattr(self.callback, "view_class", None) or getattr(
            self.callback, "cls", None
        )
        if view_class is None:
            return None
        allowed = getattr(view_class, "http_method_names", [])
        implemented = {
            method.upper()
            for method in ("get", "post", "put", "patch", "delete")
            if method in allowed and callable(getattr(view_class, method, None))
        }
        return frozenset(implemented)


def _walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            joined = ":".join(part for part in (namespace, inner) if part) if inner else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            key = pattern  # an unnamed route is known by its pattern
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(key=key, pattern=pattern, callback=entry.callback)


def http_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "/", None))


def websocket_routes() -> list[Route]:
    from config.routing import websocket_urlpatterns

    return list(_walk(list(websocket_urlpatterns), "/", None))
