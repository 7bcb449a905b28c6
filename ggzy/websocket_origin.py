"""Which pages may open the hall's websocket: the Origin check against cross-site websocket
hijacking (issue 7).

A handshake is accepted when its ``Origin`` is

- the page's own origin: the scheme (``https`` behind the TLS proxy, as Django's
  ``request.is_secure()`` decides with ``SECURE_PROXY_SSL_HEADER``) and the ``Host`` header of
  the handshake, where Host is one of ``ALLOWED_HOSTS`` — so the demo on any port
  (``DEMO_PORT``, the test servers' free ports) works with nothing configured, and a page on
  ``http://localhost:9999`` cannot open ``ws://localhost:8000``; or
- one of ``settings.WEBSOCKET_ALLOWED_ORIGINS`` (``scheme://host[:port]``; default: the
  ``CSRF_TRUSTED_ORIGINS``).

Scheme, host and port are compared (channels' ``OriginValidator.match_allowed_origin``, a
missing port being the scheme's default). ``Origin: null`` and anything unparsable are
refused. A handshake *without* Origin is accepted: browsers always send one on websocket
handshakes (RFC 6455 §4.1), so its absence means a non-browser client (ggzy-bid, scripts),
which could send any Origin it liked anyway and authenticates itself (session or token).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    meta_name, secure_value = proxy
    name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
    value = _header(scope, name)
    return value is not None and value.decode("latin1").split(",", 1)[0].strip() == secure_value


def own_origin(scope: dict[str, Any]) -> str | None:
    """The origin of a page served by this site under the handshake's Host, if Host is one
    of ours (the same test as Django's ``request.get_host()``)."""
    raw = _header(scope, b"host")
    if raw is None:
        return None
    try:
        host = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or domain.startswith(".") or not validate_host(domain, allowed):
        return None
    return f"{'https' if _is_secure(scope) else 'http'}://{host}"


class SameOriginValidator(OriginValidator):
    """channels' OriginValidator with the allowed origins worked out per handshake."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    def accepts(self, scope: dict[str, Any]) -> bool:
        raw = _header(scope, b"origin")
        if raw is None:
            return True  # not a browser: see the module's docstring
        try:
            origin: ParseResult | None = urlparse(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            origin = None
        if origin is None or origin.scheme not in ("http", "https"):
            return False
        allowed = [*getattr(settings, "WEBSOCKET_ALLOWED_ORIGINS", [])]
        if (own := own_origin(scope)) is not None:
            allowed.append(own)
        try:
            return any(self.match_allowed_origin(origin, pattern) for pattern in allowed)
        except ValueError:  # a port out of range
            return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websockets only")
        if self.accepts(scope):
            return await self.application(scope, receive, send)
        # Refused at the handshake (daphne answers HTTP 403), as channels' own validator does.
        return await WebsocketDenier()(scope, receive, send)
