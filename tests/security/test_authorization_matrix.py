"""The authorization matrix: every route the resolvers know × every role × the stages that
change visibility. Each cell says allow (A), deny (D) or not found (N); see
tests/security/matrix.py. A route without a row fails the suite: nobody adds an endpoint and
forgets its rule. Before the deadline nobody but the bidder's own organisation may learn
that a bid exists [E21, E27]."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.security import matrix
from tests.security.conftest import MakeWorld
from tests.security.objects import kwargs_for
from tests.security.requests import HIDDEN, Caller, outcome, path_of
from tests.security.routes import http_routes
from tests.security.world import MISSING_ID, MISSING_UUID, ROLES, STAGES, World

pytestmark = pytest.mark.django_db

DUMP = os.environ.get("MATRIX_DUMP")  # a file: write the observed matrix there (to review)


def test_every_route_has_a_row_in_the_matrix() -> None:
    keys = {route.key for route in http_routes()}
    assert sorted(keys - set(matrix.ROWS)) == [], (
        "routes without a rule in tests/security/matrix.py"
    )
    assert sorted(set(matrix.ROWS) - keys) == [], "rules for routes that no longer exist"


def test_every_method_an_api_view_implements_has_a_cell() -> None:
    missing = []
    for route in http_routes():
        implemented = route.methods
        if implemented is None:
            continue
        listed = set(matrix.ROWS[route.key].cells)
        if implemented - {"HEAD", "OPTIONS"} != listed:
            missing.append((route.key, sorted(implemented), sorted(listed)))
    assert missing == []


def observe(world: World) -> dict[tuple[str, str], str]:
    callers = {role: Caller(world.people[role]) for role in ROLES}
    seen: dict[tuple[str, str], str] = {}
    for route in http_routes():
        path = path_of(route, kwargs_for(route.key, route.pattern, world))
        methods = route.methods or {"GET", "POST"}
        for method in sorted(methods):
            seen[(route.key, method)] = "".join(
                outcome(callers[role].send(method, path), path) for role in ROLES
            )
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_each_role_gets_what_the_matrix_says(stage: str, world_at: MakeWorld) -> None:
    world = world_at(stage)
    if DUMP:
        seen = observe(world)
        with Path(f"{DUMP}.{stage}").open("w") as out:
            for (key, method), row in sorted(seen.items()):
                out.write(f"{key}\t{method}\t{row}\n")
        return
    callers = {role: Caller(world.people[role]) for role in ROLES}
    wrong = []
    for route in http_routes():
        rule = matrix.ROWS[route.key]
        kwargs = kwargs_for(route.key, route.pattern, world)
        path = path_of(route, kwargs)
        # A section is public once published; the objects a route names beyond it are not.
        names_objects = bool(set(kwargs) - {"code", "app_label", "url"})
        missing = path_of(route, missing_objects(kwargs)) if names_objects else path
        for method, expected in rule.cells.items():
            want = expected[STAGES.index(stage)]
            for role, cell in zip(ROLES, want, strict=True):
                response = callers[role].send(method, path)
                got = outcome(response, path)
                if got != cell:
                    wrong.append(f"{method} {path} as {role}: expected {cell}, got {got}")
                elif got == HIDDEN and missing != path:
                    # Hidden means indistinguishable from an object that does not exist.
                    other = callers[role].send(method, missing)
                    if answer(response, path) != answer(other, missing):
                        wrong.append(f"{method} {path} as {role}: not like a missing object")
    assert wrong == [], "\n".join(wrong)


def missing_objects(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same route naming objects that do not exist."""
    replaced: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in ("app_label", "url", "content_type_id"):
            replaced[name] = value
        elif name == "code":
            replaced[name] = "GGZY-NO-SUCH-SECTION"
        elif isinstance(value, uuid.UUID) or (isinstance(value, str) and len(value) == 36):
            replaced[name] = MISSING_UUID
        elif isinstance(value, str) and not value.isdigit():
            replaced[name] = "f" * len(value)
        else:
            replaced[name] = MISSING_ID
    return replaced


def answer(response: Any, path: str) -> tuple[int, str, bytes]:
    body = response.content if not response.streaming else b""
    return (
        response.status_code,
        response.get("Content-Type", ""),
        body.replace(path.encode(), b"<path>"),
    )
