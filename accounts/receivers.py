"""Login, logout and failed logins go to the ledger [E49]. Receivers only call the ledger."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ggzy.http import client_address
from supervision import ledger


def _address(request: Any) -> str | None:
    return client_address(request.META) if request is not None else None


@receiver(user_logged_in)
def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    ledger.append("accounts.login.succeeded", actor=user, target=user, address=_address(request))


@receiver(user_logged_out)
def log_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        ledger.append("accounts.logout", actor=user, target=user, address=_address(request))


@receiver(user_login_failed)
def log_failed_login(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Only the username: Django already masks the password, and we keep nothing else.
    ledger.append(
        "accounts.login.failed",
        actor=ledger.ANONYMOUS,
        address=_address(request),
        data={"username": str(credentials.get("username", ""))[:150]},
    )
