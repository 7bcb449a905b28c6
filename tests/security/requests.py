"""Make one request as one role, change nothing, and classify the answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import Person
from tests.conftest import pass_second_factor
from tests.security.routes import Route

ALLOW, REFUSED, DENY, HIDDEN = "A", "R", "D", "N"
# A redirect to sign in, or to pass the second factor, refuses who is asking.
LOGIN_PATHS = ("/accounts/login/", "/admin/login/", "/accounts/second-factor/")
ADMIN_SESSION_PATHS = ("/admin/login/", "/admin/logout/")


def outcome(response: HttpResponse, path: str) -> str:
    """A: allowed and done (2xx, or a redirect that is not to a login page); R: the rights
    let it through, but the service refused the request or the stage (400, 409, 410, 422 —
    e.g. a key share asked for before the deadline); D: refused for who is asking (401, 403,
    or a redirect to a login page); N: not found (404 — nothing tells it from an object that
    does not exist); E: a server error; M/T: method not allowed / throttled (never expected
    in the matrix)."""
    status = response.status_code
    if status >= 500:
        return "E"
    if status == 404:
        return HIDDEN
    if status in (400, 409, 410, 422):
        return REFUSED
    if status in (401, 403):
        return DENY
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        if any(path in location for path in LOGIN_PATHS):
            return DENY
        # Django admin answers an object it will not show with a redirect to its index,
        # exactly as for one that does not exist.
        to_index = location.rstrip("/").endswith("/admin")
        own_screen = path.startswith("/admin/") and not path.startswith(ADMIN_SESSION_PATHS)
        return HIDDEN if to_index and own_screen else ALLOW
    if status == 405:
        return "M"
    if status == 429:
        return "T"
    return ALLOW


def path_of(route: Route, kwargs: dict[str, Any]) -> str:
    if not route.key.startswith("/"):
        return reverse(route.key, kwargs=kwargs)
    path = route.pattern.replace("^", "").replace("$", "")
    for name, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return path


# A statement that only reads: a SELECT that takes no lock and calls none of the functions
# that change something outside the rows (a sequence, a setting, a lock, a logical message).
_NOT_ONLY_READING = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b"
    r"|\b(?:nextval|setval|set_config|pg_\w+|lo_\w+)\s*\(",
    re.IGNORECASE,
)


def only_reads(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT") and not _NOT_ONLY_READING.search(sql)


@contextmanager
def undone() -> Iterator[None]:
    """Whatever the block writes is undone when it ends, its on-commit callbacks dropped.

    Inside the test's transaction, the savepoint is taken just before the block's first
    statement that is not a plain read (before it nothing had changed, so rolling back to it
    restores the state the block started from): a request that only reads — most of the
    matrix's thousands — costs no SAVEPOINT, ROLLBACK TO and RELEASE round trips. Outside a
    transaction (a transactional test) the block runs in one that is rolled back."""
    if not connection.in_atomic_block:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
        return
    name = f"caller_{uuid4().hex}"
    taken = False
    callbacks = len(connection.run_on_commit)

    def savepoint_first(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        nonlocal taken
        if not taken and not only_reads(sql):
            execute(f'SAVEPOINT "{name}"', None, False, context)
            taken = True
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(savepoint_first):
            yield
    finally:
        del connection.run_on_commit[callbacks:]
        if taken:
            with connection.cursor() as cursor:
                cursor.execute(f'ROLLBACK TO SAVEPOINT "{name}"')
                cursor.execute(f'RELEASE SAVEPOINT "{name}"')


class Caller:
    """One role's browser: logged in once; whatever a request writes is rolled back
    (``undone``), so the world stays as it was (a logout or a withdrawal undoes itself)."""

    def __init__(self, person: Person | None) -> None:
        self.client = Client(raise_request_exception=False, REMOTE_ADDR="192.0.2.10")
        if person is not None:
            self.client.force_login(person)
            pass_second_factor(self.client, person)  # an expert with an authenticator
        self.cookies = {name: morsel.value for name, morsel in self.client.cookies.items()}

    def send(self, method: str, path: str) -> Any:
        cache.clear()  # throttle buckets: the matrix is about rights, not rates
        for name, value in self.cookies.items():
            self.client.cookies[name] = value
        with undone():
            return self.client.generic(method, path)
