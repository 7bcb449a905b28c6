"""The API fuzzed against its own OpenAPI schema (/api/schema/) with schemathesis, as every
role, on a seeded database: a section at its opening with three sealed bids and the hall
open (tests/realtime/conftest.py).

For every operation and every role: no 500, the status code is one the schema documents,
the content type and the body match the schema, and the authorization check below holds.
Runs in-process through Django's WSGI handler (the test's database transaction is seen),
derandomized, with a fixed number of examples per operation, so that it fits CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import OrganisationKind, Person, Role
from bidding.models import Upload
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.factories import OrganisationFactory, PersonFactory
from tests.fuzz.bounds import DEV_FACTOR
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.security import matrix
from tests.security.routes import http_routes
from tests.security.world import ROLES as MATRIX_ROLES
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

# tus PATCH bodies are raw bytes, as application/octet-stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

ROLES = ("anonymous", "bidder", "tenderee", "centre_staff", "regulator", "expert", "superuser")
EXAMPLES_PER_OPERATION = 6  # × 7 roles per example; the dev profile multiplies it
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# --- the authorization hook -------------------------------------------------------------


MATRIX_ROLE = {"centre_staff": "centre"}  # this file's role names → the matrix's


def _route_keys() -> dict[str, str]:
    """OpenAPI path template ("/api/halls/{code}/share") → the matrix's route key."""
    keys = {}
    for route in http_routes():
        template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)
        keys[template] = route.key
    return keys


def matrix_denies(role: str, method: str, path_template: str) -> bool:
    """The authorization matrix's word on (role, method, path template): True where the
    matrix refuses the role (D) in every stage, whatever the object — so that schemathesis,
    with its own generated values, checks the same rules (tests/security/matrix.py)."""
    key = _route_keys().get(path_template)
    row = matrix.ROWS.get(key) if key else None
    if row is None or method.upper() not in row.cells:
        return False
    column = MATRIX_ROLES.index(MATRIX_ROLE.get(role, role))
    return all(stage[column] == "D" for stage in row.cells[method.upper()])


def authorization_failure(
    role: str, method: str, path_template: str, status: int, permissions: tuple[type, ...]
) -> str | None:
    """Why this response breaks the authorization rules, or None. Called for every response.
    The matrix decides; the permission classes of the method are a second opinion."""
    if role == "anonymous" and 200 <= status < 300 and IsAuthenticated in permissions:
        return f"anonymous got {status} from {method} {path_template}, which requires a login"
    if matrix_denies(role, method, path_template) and status not in (401, 403, 404):
        return f"{role} got {status} from {method} {path_template}, which the matrix denies"
    return None


def _permissions(method: str, path: str) -> tuple[type, ...]:
    """The permission classes the view applies to this method: a view may choose them per
    method (the hall's objections are public to read [E29], not to raise)."""
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return ()
    view_class = getattr(match.func, "cls", None)
    if view_class is None:
        return ()
    view = view_class(**getattr(match.func, "initkwargs", {}))
    request = HttpRequest()
    request.method = method
    view.request = Request(request)
    return tuple(type(permission) for permission in view.get_permissions())


# --- the seed and the callers -------------------------------------------------------------


@dataclass
class Seed:
    opening: Opening
    tokens: dict[str, str]  # role → knox token ("" for anonymous)
    path_values: dict[tuple[str, str], Any]  # (path template, parameter) → a real value


def _token(person: Person) -> str:
    _instance, token = AuthToken.objects.create(user=person)
    return str(token)


@pytest.fixture
def seed(opening: Opening) -> Seed:  # noqa: F811
    keyholders = opening.holders
    people = {
        "bidder": opening.bidders[0].person,
        "tenderee": PersonFactory.create(organisation=keyholders.tenderee, role=Role.TENDEREE),
        "centre_staff": opening.host,
        "regulator": PersonFactory.create(organisation=keyholders.regulator, role=Role.REGULATOR),
        "expert": PersonFactory.create(organisation=None, role=Role.EXPERT),
        "superuser": PersonFactory.create(
            organisation=OrganisationFactory.create(kind=OrganisationKind.CENTRE),
            role=Role.STAFF,
            is_superuser=True,
            is_staff=True,
        ),
    }
    tokens = {"anonymous": ""} | {role: _token(person) for role, person in people.items()}
    bid = opening.bids[0]
    upload = Upload.objects.filter(organisation=bid.organisation).first()
    values: dict[tuple[str, str], Any] = {
        ("", "code"): opening.section.code,
        ("", "bid"): bid.pk,
        ("/api/bids/{id}/receipt", "id"): bid.pk,
        ("/api/bids/{id}/withdraw", "id"): bid.pk,
        ("/api/bids/uploads/{id}", "id"): str(upload.pk) if upload else None,
        ("/api/organisations/{id}/keys", "id"): bid.organisation.pk,
    }
    return Seed(opening, tokens, values)


@dataclass
class Failure:
    role: str
    operation: str
    status: int
    reason: str


def _run_operation(operation: Any, seed: Seed, failures: list[Failure]) -> None:
    factor = DEV_FACTOR if settings.get_current_profile_name() == "dev" else 1

    @settings(
        max_examples=EXAMPLES_PER_OPERATION * factor,
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(case=operation.as_strategy(), real=st.booleans())
    def examples(case: Any, real: bool) -> None:
        if real and case.path_parameters:  # half the time, objects that exist
            for name in case.path_parameters:
                value = seed.path_values.get(
                    (operation.path, name), seed.path_values.get(("", name))
                )
                if value is not None:
                    case.path_parameters[name] = value
        for role in ROLES:
            cache.clear()  # the anonymous throttle counts per minute; the clock stands still
            token = seed.tokens[role]
            headers = {"Authorization": f"Token {token}"} if token else {}
            response = case.call(headers=headers)
            label = f"{operation.method.upper()} {operation.path}"
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # a Failure, or a FailureGroup
                failures.append(Failure(role, label, response.status_code, str(exc)[:600]))
            reason = authorization_failure(
                role,
                operation.method.upper(),
                operation.path,
                response.status_code,
                _permissions(operation.method.upper(), case.formatted_path),
            )
            if reason:
                failures.append(Failure(role, label, response.status_code, reason))

    examples()


@pytest.fixture
def wsgi_keeps_the_test_connection(seed: Seed) -> Iterator[None]:
    """Django's WSGI handler closes the database connection at each request, which would
    end the test's transaction; the test client unhooks this the same way (and hooks it
    back after each of its own requests: so this comes after the seed, made with it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("wsgi_keeps_the_test_connection")
def test_every_operation_answers_every_role_as_its_schema_says(seed: Seed) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    failures: list[Failure] = []
    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if isinstance(result, Err)]
    assert not errors, errors  # every operation of the schema can be generated
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 20  # the whole API, not an empty schema
    for operation in operations:
        _run_operation(operation, seed, failures)
    report = "\n".join(f"{f.role} {f.operation} → {f.status}: {f.reason}" for f in failures)
    assert not failures, f"{len(failures)} failures:\n{report}"


def test_the_authorization_hook_refuses_anonymous_success_behind_a_login() -> None:
    assert authorization_failure("anonymous", "GET", "/api/me", 200, (IsAuthenticated,))
    assert authorization_failure("anonymous", "GET", "/api/me", 401, (IsAuthenticated,)) is None
    assert authorization_failure("bidder", "GET", "/api/me", 200, (IsAuthenticated,)) is None
    assert authorization_failure("anonymous", "GET", "/api/time", 200, ()) is None


def test_the_authorization_hook_sees_the_permissions_a_view_chooses_per_method() -> None:
    """The hall's objections are public to read [E29], not to raise."""
    assert IsAuthenticated not in _permissions("GET", "/api/halls/S-1/objections")
    assert IsAuthenticated in _permissions("POST", "/api/halls/S-1/objections")
    assert IsAuthenticated in _permissions("POST", "/api/halls/S-1/sign-in")
