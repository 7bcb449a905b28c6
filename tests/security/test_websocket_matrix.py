"""The authorization matrix for the websocket routes: each role, each stage, connected (A)
or refused (N: closed 4404, as for a hall that does not exist)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import Person
from config.asgi import application
from tests.conftest import pass_second_factor
from tests.security import matrix
from tests.security.conftest import MakeWorld
from tests.security.routes import websocket_routes
from tests.security.world import MISSING_ID, ROLES, STAGES

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


def test_every_websocket_route_has_a_row_in_the_matrix() -> None:
    assert sorted(route.key for route in websocket_routes()) == sorted(matrix.WEBSOCKET_ROWS)


def connects(person: Person | None, path: str) -> str:
    headers = [ORIGIN, (b"host", b"localhost")]
    if person is not None:
        client = Client()
        client.force_login(person)
        pass_second_factor(client, person)  # an expert with an authenticator
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))

    async def attempt() -> str:
        communicator = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await communicator.connect(timeout=5)
        if connected:
            first = await communicator.receive_json_from(timeout=5)
            await communicator.disconnect()
            return "A" if first.get("type") in ("snapshot", "progress") else "?"
        return "N" if code == 4404 else f"closed {code}"

    return async_to_sync(attempt)()


@pytest.mark.parametrize("stage", STAGES)
def test_each_role_connects_as_the_matrix_says(stage: str, world_at: MakeWorld) -> None:
    world = world_at(stage)
    wrong = []
    evaluation = world.extra.get("evaluation")
    paths = {
        "section": world.section.code,
        "evaluation": str(evaluation.pk if evaluation else MISSING_ID),
        "unknown": "/ws/no/such/route/",
    }
    for route in websocket_routes():
        for target, cells in matrix.WEBSOCKET_ROWS[route.key].items():
            missing = "NO-SUCH-SECTION" if "<str:code>" in route.pattern else str(MISSING_ID)
            value = missing if target == "missing" else paths[target]
            path = route.pattern.replace("<str:code>", value).replace("<int:pk>", value)
            if target == "unknown":
                path = paths[target]
            for role, cell in zip(ROLES, cells[STAGES.index(stage)], strict=True):
                got = connects(world.people[role], path)
                if got != cell:
                    wrong.append(f"{path} as {role}: expected {cell}, got {got}")
    assert wrong == [], "\n".join(wrong)
