"""Shared by the ``ggzy-bid`` tests: no key password leaks in from the environment, no saved
login from the developer's machine, the one-line error check, and an in-process platform (a
``requests`` stand-in over Django's test client) for the commands that talk to the server.

The server-side fixtures (a section open for bids, three bidders with bound keys, an opening
hall) are the bidding and realtime ones, imported here so every module can name them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.models import Person
from ggzy_bid import cli, passwords
from ggzy_bid import server as client_server
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.realtime.conftest import eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

PLATFORM_URL = "http://platform.test"


@pytest.fixture(autouse=True)
def _no_password_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(passwords.ENV_VAR, raising=False)


@pytest.fixture(autouse=True)
def _own_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Saved logins go to the test's folder, never the developer's ~/.config."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("GGZY_SERVER", "GGZY_TOKEN", "GGZY_PROFILE", "GGZY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one bilingual error line on stderr (no traceback, nothing else)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, f"expected exactly one line, got {err!r}"
    assert err.startswith("错误：") and " / error: " in err
    return err


class Answer:
    """The part of ``requests.Response`` the tool uses."""

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.content
        self.text = response.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


def platform_for(person: Person) -> type:
    """A ``requests.Session`` stand-in that sends every request to Django as ``person``."""
    client = APIClient()
    client.force_authenticate(person)

    class Platform:
        headers: dict[str, str] = {}

        def request(self, method: str, url: str, **kwargs: Any) -> Answer:
            headers = {
                f"HTTP_{name.upper().replace('-', '_')}": value
                for name, value in (kwargs.get("headers") or {}).items()
                if name.lower() != "content-type"
            }
            content_type = (kwargs.get("headers") or {}).get("Content-Type")
            body: Any = kwargs.get("data") or b""
            if "json" in kwargs:
                body, content_type = json.dumps(kwargs["json"]), "application/json"
            response = client.generic(
                method,
                urlsplit(url).path,
                body,
                content_type=content_type or "application/octet-stream",
                **headers,
            )
            return Answer(response)

    return Platform


Tool = Callable[..., int]


@pytest.fixture
def tool(monkeypatch: pytest.MonkeyPatch) -> Tool:
    """``tool(bidder, *args)`` runs ``ggzy-bid *args`` as ``bidder`` against the platform."""

    def run(bidder: Bidder, *args: str) -> int:
        monkeypatch.setattr(client_server.requests, "Session", platform_for(bidder.person))
        return cli.main([*args, "--server", PLATFORM_URL, "--token", "t"])

    return run
