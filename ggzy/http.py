"""Request helpers every app may use."""

from __future__ import annotations

from django.conf import settings


def client_address(meta: dict[str, str]) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies (``PROXY_COUNT``) saw."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return meta.get("REMOTE_ADDR") or None
