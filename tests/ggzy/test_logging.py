"""A refusal (4xx) is one INFO line saying who asked for what and why; a real error (5xx)
still logs its traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from accounts.models import Person
from tests.conftest import api_client_for, client_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a real bug")


urlpatterns = [path("broken/", broken_view)]


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("django.request", "django.security"))]


def assert_one_refusal_line(
    caplog: pytest.LogCaptureFixture, *, status: int, method: str, path: str, who: str, code: str
) -> None:
    records = request_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    assert record.levelno == logging.INFO
    assert record.exc_info is None and not record.exc_text and not record.stack_info
    message = record.getMessage()
    assert "\n" not in message and "Traceback" not in message
    for part in (str(status), method, path, f"user={who}", f"code={code}"):
        assert part in message, (part, message)


@pytest.fixture
def member(owner: Person) -> Person:
    """A person of the owner's organisation who does not manage it."""
    return PersonFactory.create(username="member", organisation=owner.organisation)


def test_a_page_refused_with_403_logs_one_info_line_without_traceback(
    member: Person, caplog: pytest.LogCaptureFixture
) -> None:
    url = reverse("accounts:organisation_edit", args=[member.organisation_id])
    with caplog.at_level(logging.DEBUG):
        response = client_for(member).get(url)
    assert response.status_code == 403
    assert_one_refusal_line(
        caplog, status=403, method="GET", path=url, who="member", code="permission_denied"
    )


def test_a_page_not_found_logs_one_info_line(
    owner: Person, caplog: pytest.LogCaptureFixture
) -> None:
    url = reverse("accounts:organisation_edit", args=[999_999])
    with caplog.at_level(logging.DEBUG):
        response = client_for(owner).get(url)
    assert response.status_code == 404
    assert_one_refusal_line(
        caplog, status=404, method="GET", path=url, who="owner", code="not_found"
    )


def test_an_api_permission_refusal_logs_one_info_line(
    member: Person, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"/api/organisations/{member.organisation_id}/keys"
    with caplog.at_level(logging.DEBUG):
        response = api_client_for(member).post(url, {"public_key": "x"}, format="json")
    assert response.status_code == 403
    assert_one_refusal_line(
        caplog, status=403, method="POST", path=url, who="member", code="permission_denied"
    )


def test_a_domain_refusal_logs_its_stable_code(
    owner: Person, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"/api/organisations/{owner.organisation_id}/keys"
    with caplog.at_level(logging.DEBUG):
        response = api_client_for(owner).post(url, {"public_key": "junk"}, format="json")
    assert response.status_code == 400
    code = response.json()["code"]
    assert_one_refusal_line(caplog, status=400, method="POST", path=url, who="owner", code=code)


def test_an_anonymous_refusal_names_the_caller_anonymous(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = Client().get("/api/me")
    assert response.status_code == 401
    assert_one_refusal_line(
        caplog, status=401, method="GET", path="/api/me", who="anonymous", code="not_authenticated"
    )


@pytest.mark.urls(__name__)
def test_a_real_server_error_still_logs_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.DEBUG):
        response = client.get("/broken/")
    assert response.status_code == 500
    errors = [r for r in request_records(caplog) if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is RuntimeError


def test_a_request_for_a_foreign_host_is_one_warning_line_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        response = Client(HTTP_HOST="evil.example\nforged").get("/")
    assert response.status_code == 400
    records = request_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    record = records[0]
    assert record.name == "django.security.DisallowedHost"
    assert record.levelno == logging.WARNING and record.exc_info is None
    message = record.getMessage()
    assert "\n" not in message and "code=DisallowedHost" in message and "user=" in message
