"""Structured logs: JSON lines in production, secret-looking fields masked, each line bound
to its request, websocket connection or task, and the process role."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from asgiref.sync import async_to_sync
from celery.signals import task_postrun, task_prerun
from django.test import AsyncClient, Client

from accounts.models import Person
from ggzy.observability import logs
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the production console handler would print, captured from the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_structlog_line_is_json_with_the_expected_keys_and_secrets_masked(
    json_lines: io.StringIO,
) -> None:
    structlog.get_logger("ggzy.tests").warning(
        "bid sealed",
        password="hunter2",
        content_key="00112233",
        share="k-of-n share",
        nested={"api_token": "token-xyz-secret", "size": 3},
        section="S-1",
    )
    [line] = parsed(json_lines)
    assert line["event"] == "bid sealed"
    assert line["level"] == "warning"
    assert line["logger"] == "ggzy.tests"
    assert line["role"] == "test"
    assert line["pid"] == os.getpid()
    assert line["timestamp"].endswith("Z")
    assert line["password"] == line["content_key"] == line["share"] == logs.MASK
    assert line["nested"] == {"api_token": logs.MASK, "size": 3}
    assert line["section"] == "S-1"
    for secret in ("hunter2", "00112233", "k-of-n share", "token-xyz-secret"):
        assert secret not in json_lines.getvalue()


def test_a_standard_library_record_is_json_too_with_its_extras_masked(
    json_lines: io.StringIO,
) -> None:
    logging.getLogger("celery.worker").warning(
        "connected to %s", "redis", extra={"password": "p4ss", "attempt": 2}
    )
    [line] = parsed(json_lines)
    assert line["event"] == "connected to redis"
    assert line["logger"] == "celery.worker"
    assert line["password"] == logs.MASK and line["attempt"] == 2
    assert "p4ss" not in json_lines.getvalue()


def test_a_private_key_in_a_message_is_masked(json_lines: io.StringIO) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMG\n-----END PRIVATE KEY-----"
    logging.getLogger("ggzy.tests").error("bad key %s", pem)
    [line] = parsed(json_lines)
    assert "MIGTAgEAMBMG" not in line["event"] and logs.MASK in line["event"]


def test_an_exception_keeps_its_traceback_as_one_json_field(json_lines: io.StringIO) -> None:
    try:
        raise RuntimeError("a real bug")
    except RuntimeError:
        logging.getLogger("ggzy.tests").exception("it broke")
    [line] = parsed(json_lines)
    assert "Traceback" in line["exception"] and "a real bug" in line["exception"]


@pytest.mark.django_db
def test_a_request_binds_its_id_and_the_user_id_to_every_line(
    owner: Person, json_lines: io.StringIO
) -> None:
    response = client_for(owner).get("/no-such-page/")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    [refusal] = [line for line in parsed(json_lines) if line["event"].startswith("refused 404")]
    assert refusal["request_id"] == request_id
    assert refusal["user_id"] == owner.pk
    assert refusal["role"] == "test"
    assert owner.get_full_name() not in json_lines.getvalue() or not owner.get_full_name()


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_refusal_line_carries_the_request_id_too(
    json_lines: io.StringIO,
) -> None:
    """daphne's path: sync middleware in a thread, the refusal logged back in the event
    loop after the middleware returned."""
    response = async_to_sync(AsyncClient().get)("/no-such-page/")
    assert response.status_code == 404
    [refusal] = [line for line in parsed(json_lines) if line["event"].startswith("refused 404")]
    assert refusal["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_it_keeps_a_plausible_request_id_from_the_proxy_and_replaces_any_other() -> None:
    kept = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="0123456789abcdef")
    assert kept["X-Request-ID"] == "0123456789abcdef"
    injected = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="x\nrefused 200 fake line")
    assert "\n" not in injected["X-Request-ID"] and len(injected["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_two_requests_never_share_an_id() -> None:
    first = Client().get("/no-such-page/")["X-Request-ID"]
    second = Client().get("/no-such-page/")["X-Request-ID"]
    assert first != second


def test_a_celery_task_run_binds_its_id_and_name_and_clears_them_after(
    json_lines: io.StringIO,
) -> None:
    class Task:
        name = "trading.tasks.chronograph_sweep"

    task_prerun.send(sender=Task, task_id="task-1", task=Task(), args=(), kwargs={})
    logging.getLogger("ggzy.tests").info("inside")
    task_postrun.send(sender=Task, task_id="task-1", task=Task(), args=(), kwargs={})
    logging.getLogger("ggzy.tests").info("after")
    inside, after = parsed(json_lines)
    assert inside["task_id"] == "task-1" and inside["task"] == Task.name
    assert "task_id" not in after


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/venv/bin/daphne", "config.asgi:application"], "web"),
        (["/venv/lib/python3.11/site-packages/daphne/__main__.py", "-p", "8000"], "web"),
        (["/venv/bin/celery", "-A", "config.celery", "worker"], "worker"),
        (["/venv/lib/python3.11/site-packages/celery/__main__.py", "-A", "x", "beat"], "beat"),
        (["manage.py", "runserver"], "web"),
        (["manage.py", "migrate"], "command"),
    ],
)
def test_the_role_is_guessed_from_the_command_line(
    argv: list[str], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GGZY_PROCESS_ROLE", raising=False)
    assert logs.process_role(argv) == role


def test_the_role_given_by_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GGZY_PROCESS_ROLE", "worker")
    assert logs.process_role(["/venv/bin/daphne"]) == "worker"


EMIT_A_REFUSAL = """
import django
django.setup()
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.log import log_response
request = RequestFactory().get("/accounts/organisations/7/edit/", HTTP_HOST="127.0.0.1")
try:
    raise PermissionDenied("secret=hunter2 is not a reason to log a traceback")
except PermissionDenied as exc:
    # What Django's exception handler does for a PermissionDenied raised in a view.
    log_response(
        "Forbidden (Permission denied): %s", request.path, response=HttpResponse(status=403),
        request=request, exception=exc,
    )
"""


def emit_a_refusal(tmp_path: Path, **env: str) -> list[str]:
    key = tmp_path / "platform.pem"
    key.write_text("settings only check that the file exists")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "GGZY_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "s" * 50,
        "PLATFORM_SIGNING_KEY_FILE": str(key),
        **env,
    }
    if "LOG_FORMAT" not in env:
        environment.pop("LOG_FORMAT", None)
    result = subprocess.run(
        [sys.executable, "-c", EMIT_A_REFUSAL],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.strip()]


REFUSAL = (
    "refused 403 GET /accounts/organisations/7/edit/ user=anonymous "
    "code=permission_denied addr=127.0.0.1"
)


def test_in_production_a_refusal_is_one_json_line(tmp_path: Path) -> None:
    [line] = emit_a_refusal(tmp_path, DEBUG="false")
    record = json.loads(line)
    assert record["event"] == REFUSAL
    assert record["level"] == "info" and record["logger"] == "django.request"
    assert record["status_code"] == 403
    assert "exception" not in record and "request" not in record


def test_with_debug_a_refusal_is_one_readable_line(tmp_path: Path) -> None:
    [line] = emit_a_refusal(tmp_path, DEBUG="true")
    assert REFUSAL in line and "[info" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
