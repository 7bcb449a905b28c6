"""Saved logins: one per profile, so a machine can hold several companies and servers; the
default profile is the file earlier versions wrote."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from ggzy_bid import server
from ggzy_bid.cli import main
from tests.bidding.conftest import Bidder
from tests.factories import TEST_PASSWORD
from tests.ggzy_bid.conftest import PLATFORM_URL, error_line, platform_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``login(bidder, *extra)``: ``ggzy-bid login`` as ``bidder`` against the platform."""

    def run(bidder: Bidder, *extra: str) -> int:
        monkeypatch.setattr(server.requests, "Session", platform_for(bidder.person))
        username = bidder.person.username
        return main(["login", "--server", PLATFORM_URL, "--username", username, *extra])

    return run


def test_login_saves_a_named_profile_and_profiles_lists_it(
    bidders: list[Bidder],
    login: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GGZY_PASSWORD", TEST_PASSWORD)
    first, second = bidders[0], bidders[1]
    assert login(first, "--profile", "jiangnan") == 0
    assert "profile jiangnan" in capsys.readouterr().out
    assert login(second, "--profile", "changjiang") == 0
    capsys.readouterr()

    saved = server.profile_path("jiangnan")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["username"] == first.person.username
    assert not server.profile_path(server.DEFAULT_PROFILE).exists()

    monkeypatch.setenv("GGZY_PROFILE", "changjiang")
    assert main(["profiles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"  jiangnan         {PLATFORM_URL}  {first.person.username}" in lines
    assert f"* changjiang       {PLATFORM_URL}  {second.person.username}" in lines


def test_each_profile_carries_its_own_token(
    bidders: list[Bidder], login: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GGZY_PASSWORD", TEST_PASSWORD)
    assert login(bidders[0], "--profile", "a") == 0
    assert login(bidders[1], "--profile", "b") == 0
    a, b = server.resolve(None, None, "a"), server.resolve(None, None, "b")
    assert a.token and b.token and a.token != b.token
    assert a.url == b.url == PLATFORM_URL


def test_the_default_profile_reads_the_credentials_file_of_earlier_versions(
    tmp_path: Path,
) -> None:
    legacy = server.config_dir() / "credentials.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"server": "https://ggzy.example", "token": "abc"}))
    found = server.resolve(None, None)
    assert (found.url, found.token, found.profile) == ("https://ggzy.example", "abc", "default")


def test_a_named_profile_ignores_a_token_left_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.save_credentials(server.Server(url="https://a.example", token="mine", profile="a"))
    monkeypatch.setenv("GGZY_TOKEN", "another-company")
    assert server.resolve(None, None, "a").token == "mine"


def test_a_missing_profile_says_how_to_create_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["time", "--profile", "nowhere"]) == 2
    line = error_line(capsys)
    assert "没有名为 nowhere 的已保存登录" in line
    assert "run ggzy-bid login --profile nowhere --server URL --username NAME first" in line


def test_a_profile_name_cannot_name_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["time", "--profile", "../x"]) == 2
    assert "invalid profile name '../x'" in error_line(capsys)


def test_login_without_a_terminal_or_password_variable_says_which_variable(
    bidders: list[Bidder],
    login: Callable[..., int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert login(bidders[0]) == 2
    assert "set GGZY_PASSWORD" in error_line(capsys)
