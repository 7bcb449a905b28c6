"""API rate limits, one bucket per purpose.

Anonymous reads and login attempts are counted apart: reading the platform key a hundred
times must never cost a bidder its login, and guessing passwords must never be paid for with
someone else's reads. Both say exactly when the next request will be accepted (DRF's own
``wait()`` is a pacing hint and is ``None`` once a bucket is over-full), so every 429 can
carry ``Retry-After``.

Addresses come from DRF's ``get_ident``, which trusts ``X-Forwarded-For`` only as far as
``REST_FRAMEWORK["NUM_PROXIES"]`` (set from ``PROXY_COUNT``, like the ledger and axes).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


class _ExactWait(SimpleRateThrottle):
    num_requests: int | None
    duration: int | None
    now: float

    def wait(self) -> float | None:
        """Seconds until the bucket has room again: when the entry that keeps it full expires."""
        history: list[float] = getattr(self, "history", [])
        if self.num_requests is None or self.duration is None:
            return None
        if len(history) < self.num_requests:
            return 0.0
        # ``history`` is newest first; below the limit again once entry num_requests-1 expires.
        freeing = history[self.num_requests - 1]
        return max(1.0, freeing + self.duration - self.now)


class AnonymousReadThrottle(_ExactWait):
    """Anonymous callers of the API (reads of public data), per address: scope ``anon``."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginAttemptThrottle(_ExactWait):
    """Password attempts on the token endpoint, per username and address: scope ``login``.

    In addition to django-axes (which locks a username+address out after repeated failures),
    this bounds the rate of attempts, successful or not; reads never touch this bucket.
    """

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        username = data.get("username", "") if hasattr(data, "get") else ""
        digest = hashlib.sha256(str(username)[:256].encode()).hexdigest()[:32]
        ident = f"{digest}_{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class VerificationThrottle(_ExactWait):
    """Attempts at a guarantee's verification code, per address, signed in or not: scope
    ``verify``. The public verification page and API share the bucket, so a guesser gains
    nothing by switching between them."""

    scope = "verify"

    def get_cache_key(self, request: Request, view: APIView | None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
