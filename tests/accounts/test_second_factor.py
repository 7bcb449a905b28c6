"""Experts pass a TOTP second factor (django-otp) before any expert evaluation page: they set
up an authenticator once, then type its code after each login. Wrong codes are refused with
why and what to do, counted, rate-limited and ledgered; the secret is never written down."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from base64 import b32encode
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.models import Person, Role
from accounts.second_factor import CodeThrottle, verified_expert_required
from config import urls as config_urls
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.factories import PersonFactory

# The decorator is tried on a page of this module's own (the site's routes plus it).
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test key, "1234…890"
# Ten seconds into a 30-second step, so a test can wait out the device's back-off in it.
START = dt.datetime(2025, 3, 3, 1, 0, 10, tzinfo=dt.UTC)


@verified_expert_required
def score_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(f"score sheet {pk}")


urlpatterns = [
    *config_urls.urlpatterns,
    path("test-expert-page/<int:pk>/", score_sheet, name="test_expert_page"),
]

ENROL = "/accounts/second-factor/enrol/"
VERIFY = "/accounts/second-factor/verify/"
PAGE = "/test-expert-page/7/?tab=scores"


@pytest.fixture(autouse=True)
def _empty_throttle_history() -> Iterator[None]:
    """The per-person code bucket lives in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now() -> Iterator[time_machine.Traveller]:
    """The clock stands still at START until a test moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def expert(db: None) -> Person:
    return PersonFactory.create(username="expert", organisation=None, role=Role.EXPERT)


@pytest.fixture
def device(expert: Person, now: time_machine.Traveller) -> TOTPDevice:
    return second_factor.enrol_confirmed(expert, key_hex=KEY_HEX)


def wrong_code(device: TOTPDevice) -> str:
    """A code the device does not accept now (none of the steps its tolerance allows)."""
    accepted = set()
    for offset in range(-device.tolerance, device.tolerance + 1):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
        accepted.add(f"{totp.token():06d}")
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in accepted)


def verified_client(expert: Person, device: TOTPDevice) -> Client:
    client = client_for(expert)
    response = client.post(VERIFY, {"code": second_factor.current_code(device)})
    assert response.status_code == 302
    return client


def page_text(response: Any) -> str:
    return response.content.decode()


# --- The decorator ----------------------------------------------------------------------


def test_an_expert_without_a_device_is_sent_to_enrol(expert: Person) -> None:
    response = client_for(expert).get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next={quote(PAGE, safe='')}"


def test_an_expert_whose_session_is_not_verified_is_sent_to_verify(
    expert: Person, device: TOTPDevice
) -> None:
    response = client_for(expert).get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={quote(PAGE, safe='')}"


def test_a_verified_expert_reaches_the_page(expert: Person, device: TOTPDevice) -> None:
    response = verified_client(expert, device).get(PAGE)
    assert response.status_code == 200
    assert page_text(response) == "score sheet 7"


def test_anyone_but_an_expert_is_refused_the_page_and_told_why(owner: Person) -> None:
    response = client_for(owner).get(PAGE)
    assert response.status_code == 403
    text = page_text(response)
    assert "此页面仅供评标专家使用" in text
    assert "This page is for evaluation experts only: sign in with an expert&#x27;s account" in text


def test_the_superuser_is_no_expert_either(db: None) -> None:
    root = PersonFactory.create(organisation=None, role="", is_superuser=True, is_staff=True)
    assert client_for(root).get(PAGE).status_code == 403


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_logging_out_ends_the_verification(expert: Person, device: TOTPDevice) -> None:
    client = verified_client(expert, device)
    client.post(reverse("accounts:logout"))
    client.force_login(expert)
    assert client.get(PAGE)["Location"].startswith(VERIFY)


# --- Setting up an authenticator ----------------------------------------------------------


def test_the_set_up_page_shows_the_secret_its_link_and_a_qr_code(
    expert: Person, now: time_machine.Traveller
) -> None:
    response = client_for(expert).get(ENROL)
    assert response.status_code == 200
    pending = TOTPDevice.objects.get(user=expert)
    assert not pending.confirmed
    secret = b32encode(pending.bin_key).decode()
    text = page_text(response)
    assert secret in text
    assert f"otpauth://totp/ggzy%3Aexpert?secret={secret}" in text
    assert "issuer=ggzy" in text
    assert '<div id="second-factor-qr"><svg' in text


def test_reloading_the_set_up_page_keeps_the_secret_already_scanned(
    expert: Person, now: time_machine.Traveller
) -> None:
    client = client_for(expert)
    client.get(ENROL)
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=expert).count() == 1
    assert (
        LedgerEntry.objects.filter(action="accounts.second_factor.enrolment_started").count() == 1
    )


def test_enrolment_is_confirmed_only_with_a_right_code(
    expert: Person, now: time_machine.Traveller
) -> None:
    client = client_for(expert)
    client.get(ENROL)
    pending = TOTPDevice.objects.get(user=expert)

    refused = client.post(ENROL, {"code": wrong_code(pending)})
    assert refused.status_code == 200
    assert "验证码不正确：请输入认证器应用当前显示的6位数字" in page_text(refused)
    pending.refresh_from_db()
    assert not pending.confirmed
    assert client.get(PAGE)["Location"].startswith(ENROL)

    now.shift(2)  # django-otp's back-off after one wrong code: a second
    confirmed = client.post(
        f"{ENROL}?next={quote(PAGE)}", {"code": second_factor.current_code(pending)}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == PAGE
    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get(PAGE).status_code == 200  # confirming verified the session


def test_a_code_that_is_not_six_digits_is_refused_with_what_to_type(
    expert: Person, now: time_machine.Traveller
) -> None:
    client = client_for(expert)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "12ab5"})
    assert "Type the six digits your authenticator app shows now" in page_text(response)
    assert TOTPDevice.objects.get(user=expert).throttling_failure_count == 0


def test_a_person_with_a_confirmed_device_cannot_enrol_a_second_one(
    expert: Person, device: TOTPDevice
) -> None:
    client = client_for(expert)
    shown = client.get(f"{ENROL}?next={quote(PAGE)}")
    assert shown.status_code == 302
    assert shown["Location"] == f"{VERIFY}?next={quote(PAGE, safe='')}"
    posted = client.post(ENROL, {"code": second_factor.current_code(device)})
    assert posted.status_code == 302 and posted["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=expert)) == [device]
    with pytest.raises(DomainError) as refusal:
        second_factor.enrol_confirmed(expert)
    assert refusal.value.code == "conflict"


def test_only_experts_set_up_a_second_factor(owner: Person) -> None:
    client = client_for(owner)
    for page in (ENROL, VERIFY):
        response = client.get(page)
        assert response.status_code == 403
        assert "动态验证码目前仅供评标专家使用" in page_text(response)
    assert not TOTPDevice.objects.exists()


# --- Verifying a session --------------------------------------------------------------------


def test_a_right_code_verifies_the_session_and_returns_to_the_page(
    expert: Person, device: TOTPDevice
) -> None:
    client = client_for(expert)
    response = client.post(
        f"{VERIFY}?next={quote(PAGE)}", {"code": second_factor.current_code(device)}
    )
    assert response.status_code == 302 and response["Location"] == PAGE
    assert client.get(PAGE).status_code == 200
    assert LedgerEntry.objects.filter(action="accounts.second_factor.verified").count() == 1


def test_a_wrong_code_is_refused_with_the_cause_and_the_next_step(
    expert: Person, device: TOTPDevice
) -> None:
    client = client_for(expert)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 200
    text = page_text(response)
    assert "验证码不正确：请输入认证器应用当前显示的6位数字" in text
    assert "The code is wrong: type the six digits your authenticator app shows now" in text
    assert client.get(PAGE)["Location"].startswith(VERIFY)


def test_a_code_already_used_is_not_accepted_again(expert: Person, device: TOTPDevice) -> None:
    code = second_factor.current_code(device)
    assert client_for(expert).post(VERIFY, {"code": code}).status_code == 302
    again = client_for(expert).post(VERIFY, {"code": code})
    assert again.status_code == 200 and "验证码不正确" in page_text(again)


def test_a_next_that_leaves_the_site_is_ignored(expert: Person, device: TOTPDevice) -> None:
    response = client_for(expert).post(
        f"{VERIFY}?next=https://evil.example/", {"code": second_factor.current_code(device)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:dashboard")


def test_verifying_gives_the_session_a_new_key(expert: Person, device: TOTPDevice) -> None:
    client = client_for(expert)
    before = client.session.session_key
    client.post(VERIFY, {"code": second_factor.current_code(device)})
    assert client.session.session_key != before


# --- Rate limits ------------------------------------------------------------------------------


def test_codes_are_refused_once_the_rate_is_spent_even_a_right_one(
    expert: Person, device: TOTPDevice, now: time_machine.Traveller
) -> None:
    limit = CodeThrottle().num_requests
    assert limit is not None
    client = client_for(expert)
    for attempt in range(1, limit + 1):
        response = client.post(VERIFY, {"code": wrong_code(device)})
        assert response.status_code == 200, attempt
        now.shift(2 ** (attempt - 1))  # wait out django-otp's back-off, not the rate
    refused = client.post(VERIFY, {"code": second_factor.current_code(device)})
    assert refused.status_code == 429
    assert re.fullmatch(r"[1-9][0-9]*", refused["Retry-After"])
    text = page_text(refused)
    assert "输入验证码过于频繁，请在" in text
    assert "Too many codes typed: try again in" in text
    assert client.get(PAGE)["Location"].startswith(VERIFY)


def test_each_wrong_code_makes_the_device_wait_longer(
    expert: Person, device: TOTPDevice, now: time_machine.Traveller
) -> None:
    client = client_for(expert)
    client.post(VERIFY, {"code": wrong_code(device)})
    client.post(VERIFY, {"code": wrong_code(device)})  # within the second: not even tried
    now.shift(1)
    client.post(VERIFY, {"code": wrong_code(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 2

    too_soon = client.post(VERIFY, {"code": second_factor.current_code(device)})
    assert too_soon.status_code == 429
    assert "已连续输错 2 次验证码" in page_text(too_soon)
    assert "2 wrong codes in a row: try again in 2 seconds" in page_text(too_soon)

    now.shift(2)
    accepted = client.post(VERIFY, {"code": second_factor.current_code(device)})
    assert accepted.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


# --- The ledger and the log -------------------------------------------------------------------


def test_the_ledger_records_enrolment_and_failures_without_the_secret_or_the_code(
    expert: Person, now: time_machine.Traveller, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(expert)
    client.get(ENROL)
    pending = TOTPDevice.objects.get(user=expert)
    wrong = wrong_code(pending)
    with caplog.at_level(logging.INFO):
        client.post(ENROL, {"code": wrong})
        now.shift(2)
        right = second_factor.current_code(pending)
        client.post(ENROL, {"code": right})
    pending.refresh_from_db()
    assert pending.confirmed

    enrolled = LedgerEntry.objects.get(action="accounts.second_factor.enrolled")
    assert enrolled.actor_name == "expert" and enrolled.target_id == str(expert.pk)
    assert enrolled.data == {"device": pending.persistent_id, "name": "authenticator"}
    failed = LedgerEntry.objects.get(action="accounts.second_factor.failed")
    assert failed.data["stage"] == "enrolment" and failed.data["failures"] == 1

    secrets = {pending.key, pending.key.upper(), b32encode(pending.bin_key).decode(), wrong, right}
    written = json.dumps(
        list(LedgerEntry.objects.values("action", "data", "target_id")), ensure_ascii=False
    )
    assert not [secret for secret in secrets if secret in written]
    assert "second factor refused a wrong code: person=expert stage=enrolment" in caplog.text
    assert "failures_in_a_row=1" in caplog.text
    assert not [secret for secret in secrets if secret in caplog.text]


# --- Helpers for the demo and tests -----------------------------------------------------------


def test_enrol_confirmed_makes_a_device_whose_current_code_is_the_rfc_one(
    expert: Person, now: time_machine.Traveller
) -> None:
    device = second_factor.enrol_confirmed(expert, key_hex=KEY_HEX)
    assert device.confirmed and device.key == KEY_HEX
    expected = TOTP(b"12345678901234567890")
    expected.time = START.timestamp()
    assert second_factor.current_code(device) == f"{expected.token():06d}"
    assert device.verify_token(second_factor.current_code(device))
    assert LedgerEntry.objects.get(action="accounts.second_factor.enrolled").data == {
        "device": device.persistent_id,
        "name": "authenticator",
    }


def test_enrol_confirmed_refuses_a_bad_key_without_repeating_it(expert: Person) -> None:
    with pytest.raises(DomainError) as refusal:
        second_factor.enrol_confirmed(expert, key_hex="not-hex-secret-value")
    assert refusal.value.field == "key_hex"
    assert "not-hex-secret-value" not in refusal.value.message
    assert not TOTPDevice.objects.exists()


def test_enrol_confirmed_is_for_experts_only(owner: Person) -> None:
    with pytest.raises(DomainError) as refusal:
        second_factor.enrol_confirmed(owner)
    assert refusal.value.code == "forbidden"


# --- The workbench ----------------------------------------------------------------------------


def test_the_workbench_shows_an_expert_where_to_set_up_then_to_verify(
    expert: Person, now: time_machine.Traveller
) -> None:
    client = client_for(expert)
    dashboard = reverse("accounts:dashboard")
    assert f'href="{ENROL}"' in page_text(client.get(dashboard))
    device = second_factor.enrol_confirmed(expert, key_hex=KEY_HEX)
    assert f'href="{VERIFY}"' in page_text(client.get(dashboard))
    client.post(VERIFY, {"code": second_factor.current_code(device)})
    text = page_text(client.get(dashboard))
    assert f'href="{VERIFY}"' not in text and 'id="dashboard-second-factor"' in text


def test_the_workbench_offers_no_second_factor_to_others(owner: Person) -> None:
    text = page_text(client_for(owner).get(reverse("accounts:dashboard")))
    assert "dashboard-second-factor" not in text


def test_centre_staff_reset_a_lost_phone_and_the_expert_sets_up_again(
    expert: Person, device: TOTPDevice
) -> None:
    staff = PersonFactory.create(role=Role.STAFF)
    assert second_factor.reset(person=expert, actor=staff) == 1
    assert second_factor.confirmed_device(expert) is None
    entry = LedgerEntry.objects.get(action="accounts.second_factor.reset")
    assert entry.data == {"devices": 1}
    assert second_factor.reset(person=expert, actor=staff) == 0  # nothing left: no entry
    assert LedgerEntry.objects.filter(action="accounts.second_factor.reset").count() == 1
