"""/healthz answers whether this web process can serve (database, channel layer, storage),
naming the check that failed; `manage.py health worker|beat|web` exits 0 or 1 from the
heartbeat files and the web process's /healthz."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from celery import Celery
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ggzy.observability import health, heartbeat
from tests import servers

pytestmark = pytest.mark.django_db


def test_it_answers_200_with_every_check_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok", "storage": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_it_needs_no_login_no_session_and_sets_no_cookie() -> None:
    response = Client(REMOTE_ADDR="192.0.2.10").get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


def test_it_answers_503_naming_the_storage_when_it_cannot_write(
    settings: Any, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    # A file where the probe's directory should be: fails for root too (unlike a mode).
    (locked / "health").write_text("in the way")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(locked)},
        },
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failed"] == ["storage"]
    assert body["checks"]["storage"] in {"failed: FileExistsError", "failed: NotADirectoryError"}
    assert body["checks"]["database"] == "ok"


def test_a_check_that_hangs_fails_by_timeout_without_holding_the_answer(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def hangs() -> None:
        await asyncio.sleep(30)

    async def answers() -> None:
        return None

    # Only the timeout is under test: the real checks could be slower than it on a busy host.
    settings.HEALTH_TIMEOUT_SECONDS = 0.2
    monkeypatch.setattr(health, "CHECKS", {"database": hangs, "storage": answers})
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "failed: timeout", "storage": "ok"}
    assert response.json()["failed"] == ["database"]


def test_a_failed_check_names_only_the_kind_of_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuses() -> None:
        raise ConnectionRefusedError("redis://:hunter2@10.0.0.7:6379/0 refused")

    monkeypatch.setitem(health.CHECKS, "channel_layer", refuses)
    body = Client().get("/healthz").content.decode()
    assert "ConnectionRefusedError" in body
    assert "hunter2" not in body and "10.0.0.7" not in body


# --- manage.py health --------------------------------------------------------------------
def health_exit(*args: str) -> int:
    try:
        call_command("health", *args)
    except CommandError as error:
        return error.returncode
    return 0


def make_old(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_worker_is_healthy_while_its_heartbeat_is_fresh(settings: Any, tmp_path: Path) -> None:
    settings.HEALTH_DIR = tmp_path
    assert health_exit("worker", "--node", "celery@w1") == 1  # no file yet
    heartbeat.touch(heartbeat.worker_file("celery@w1"))
    assert health_exit("worker", "--node", "celery@w1") == 0
    assert health_exit("worker", "--node", "celery@w2") == 1  # another worker's file
    make_old(heartbeat.worker_file("celery@w1"), settings.HEALTH_WORKER_MAX_AGE_SECONDS + 5)
    assert health_exit("worker", "--node", "celery@w1") == 1


def test_beat_is_healthy_while_its_heartbeat_is_fresh(settings: Any, tmp_path: Path) -> None:
    settings.HEALTH_DIR = tmp_path
    assert health_exit("beat") == 1
    heartbeat.touch(heartbeat.beat_file())
    assert health_exit("beat") == 0
    make_old(heartbeat.beat_file(), 100)
    assert health_exit("beat", "--max-age", "120") == 0
    assert health_exit("beat", "--max-age", "60") == 1


class FakeTimer:
    def __init__(self) -> None:
        self.calls: list[tuple[float, Any, tuple[Any, ...]]] = []
        self.cancelled = False

    def call_repeatedly(self, interval: float, function: Any, args: tuple[Any, ...], **_: Any):
        self.calls.append((interval, function, args))
        return self

    def cancel(self) -> None:
        self.cancelled = True


class FakeConsumer:
    hostname = "celery@worker-host"

    def __init__(self) -> None:
        self.timer = FakeTimer()


def test_the_worker_step_beats_on_the_consumers_timer_and_stops_with_it(
    settings: Any, tmp_path: Path
) -> None:
    settings.HEALTH_DIR = tmp_path
    consumer = FakeConsumer()
    step = heartbeat.WorkerHeartbeat(consumer)
    step.start(consumer)
    path = heartbeat.worker_file("celery@worker-host")
    assert path.exists()
    [(interval, function, args)] = consumer.timer.calls
    assert interval == settings.HEARTBEAT_SECONDS
    make_old(path, 1000)
    function(*args)  # the timer fires
    age = heartbeat.age_seconds(path)
    assert age is not None and age < 1000
    step.stop(consumer)
    assert consumer.timer.cancelled and not path.exists()


def test_the_beat_scheduler_touches_its_heartbeat_on_every_tick(
    settings: Any, tmp_path: Path
) -> None:
    settings.HEALTH_DIR = tmp_path / "health"
    app = Celery("health-test", set_as_current=False)
    scheduler = heartbeat.HeartbeatScheduler(
        app=app, schedule_filename=str(tmp_path / "schedule"), lazy=False
    )
    try:
        assert not heartbeat.beat_file().exists()
        scheduler.tick()
        assert heartbeat.beat_file().exists()
    finally:
        scheduler.close()


def test_beat_runs_with_the_heartbeat_scheduler(settings: Any) -> None:
    assert settings.CELERY_BEAT_SCHEDULER == "ggzy.observability.heartbeat:HeartbeatScheduler"


@pytest.fixture
def web(request: pytest.FixtureRequest) -> Iterator[list[int]]:
    """A stand-in for this host's daphne: answers /healthz with the status given."""
    status = [200]
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hosts.append(self.headers["Host"])
            self.send_response(status[0])
            self.end_headers()
            self.wfile.write(json.dumps({"status": "ok" if status[0] == 200 else "x"}).encode())

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)  # a free port, named by the server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    request.node.hosts = hosts
    request.node.port = server.server_address[1]
    try:
        yield status
    finally:
        server.shutdown()
        server.server_close()


def test_web_is_healthy_when_its_healthz_answers_200(
    web: list[int], request: pytest.FixtureRequest, settings: Any
) -> None:
    url = f"http://127.0.0.1:{request.node.port}/healthz"
    assert health_exit("web", "--url", url) == 0
    assert request.node.hosts == [settings.ALLOWED_HOSTS[0]]  # a Host the site accepts
    web[0] = 503
    assert health_exit("web", "--url", url) == 1


def test_web_is_unhealthy_when_nothing_answers() -> None:
    assert (
        health_exit(
            "web", "--url", f"http://127.0.0.1:{servers.free_port()}/healthz", "--timeout", "1"
        )
        == 1
    )


def test_a_daphne_process_serves_its_probes_and_logs_json_lines(tmp_path: Path) -> None:
    """The real server: the async probe under daphne, /metrics from loopback, the web
    health command against it, and daphne's own log lines structured."""
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "daphne.log"
    environment = servers.server_environment(tmp_path, LOG_FORMAT="json")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                "config.asgi:application",
            ],
            cwd=servers.ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            servers.wait_until_answering(url, process, log_path, path="/healthz")
            assert health_exit("web", "--url", f"{url}/healthz") == 0
            exposition = requests.get(f"{url}/metrics", timeout=10)
            assert exposition.status_code == 200
            assert "ggzy_halls" in exposition.text
            assert 'django_http_requests_total_by_method_total{method="GET"}' in exposition.text
            assert "ggzy_websocket_connections_open 0.0" in exposition.text
        finally:
            servers.stop(process)
    lines = [line for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert lines, log_path.read_text()[-2000:]
    assert all(json.loads(line)["role"] == "web" for line in lines)
