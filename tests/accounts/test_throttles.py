"""Rate limits: anonymous reads and login attempts are separate buckets, and every 429 says
when to come back, in Chinese and English, with a Retry-After header."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Person
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_throttle_history() -> Iterator[None]:
    """Throttle history lives in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


def read_until_throttled(client: APIClient, limit: int = 1000) -> int:
    """Anonymous reads of the platform key until the anonymous bucket is empty."""
    for count in range(1, limit + 1):
        response = client.get("/api/platform-key")
        if response.status_code == 429:
            return count
        assert response.status_code == 200
    raise AssertionError(f"{limit} anonymous reads were never throttled")


def login(client: APIClient, username: str, password: str = TEST_PASSWORD) -> Any:
    return client.post(
        "/api/auth/token", {"username": username, "password": password}, format="json"
    )


def assert_says_when_to_retry(response: Any) -> int:
    """A 429 with Retry-After (whole seconds) and a bilingual message naming the wait."""
    assert response.status_code == 429
    retry_after = response["Retry-After"]
    assert re.fullmatch(r"[1-9][0-9]*", retry_after), retry_after
    body = response.json()
    detail = body["detail"]
    assert re.search(r"\d+ ?(秒|分钟)", detail), detail
    assert re.search(r"try again in \d+ (second|minute)", detail), detail
    assert body["retry_after"] == int(retry_after)
    return int(retry_after)


def test_eleven_anonymous_reads_leave_a_login_possible(owner: Person) -> None:
    client = APIClient()
    for _ in range(11):
        assert client.get("/api/platform-key").status_code == 200
    assert login(client, "owner").status_code == 201


def test_a_login_succeeds_even_when_the_anonymous_read_bucket_is_empty(owner: Person) -> None:
    client = APIClient()
    read_until_throttled(client)
    issued = login(client, "owner")
    assert issued.status_code == 201, issued.content
    assert "token" in issued.json()


def test_a_throttled_read_says_when_to_retry_in_both_languages() -> None:
    client = APIClient()
    read_until_throttled(client)
    refused = client.get("/api/platform-key")
    assert_says_when_to_retry(refused)
    assert refused.json()["code"] == "throttled"


def test_login_attempts_never_empty_the_anonymous_read_bucket(owner: Person) -> None:
    client = APIClient()
    reads = read_until_throttled(client)
    cache.clear()
    for _ in range(3):
        login(client, "owner")
    assert read_until_throttled(client) == reads


def test_login_attempts_are_throttled_per_username_and_address(
    owner: Person, other_party: Person
) -> None:
    """Axes locks out repeated failures; this bucket also bounds attempts that succeed
    (a flood of token requests), and holds back nobody else."""
    client = APIClient(REMOTE_ADDR="198.51.100.31")
    for _ in range(30):
        response = login(client, "owner")
        if response.status_code == 429:
            break
        assert response.status_code == 201
    else:
        raise AssertionError("thirty logins for one username were never throttled")
    seconds = assert_says_when_to_retry(response)
    assert response.json()["code"] == "throttled" and seconds <= 60
    assert "token" not in response.json()
    # Another person from the same address, and the same person from elsewhere, go on.
    assert login(client, "other").status_code == 201
    assert login(APIClient(REMOTE_ADDR="198.51.100.32"), "owner").status_code == 201


def test_a_forged_forwarded_for_header_does_not_make_a_new_bucket(owner: Person) -> None:
    client = APIClient()
    reads = read_until_throttled(client)
    forged = client.get("/api/platform-key", HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert forged.status_code == 429, f"throttled after {reads}, then let through"


def test_a_locked_out_api_login_answers_429_with_retry_after_in_both_languages(
    owner: Person,
) -> None:
    client = APIClient(REMOTE_ADDR="198.51.100.33")
    for _ in range(5):
        login(client, "owner", "wrong")
    locked = login(client, "owner")
    assert locked["Content-Type"].startswith("application/json")
    seconds = assert_says_when_to_retry(locked)
    assert locked.json()["code"] == "locked_out"
    assert "锁定" in locked.json()["detail"] and "locked" in locked.json()["detail"]
    assert 14 * 60 < seconds <= 15 * 60  # the cool-off (LOGIN_COOLOFF_MINUTES)
    assert "token" not in locked.json()


def test_a_locked_out_login_page_answers_429_with_retry_after_in_both_languages(
    owner: Person,
) -> None:
    client = Client(REMOTE_ADDR="198.51.100.34")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "owner", "password": "wrong"})
    locked = client.post(
        reverse("accounts:login"), {"username": "owner", "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429
    seconds = int(locked["Retry-After"])
    assert 14 * 60 < seconds <= 15 * 60
    page = locked.content.decode()
    assert "15 分钟后" in page and "in 15 minutes" in page, page
    assert "_auth_user_id" not in client.session
