"""The second factor: a TOTP authenticator (django-otp) that experts pass before they reach
any expert evaluation page.

An expert enrols once: the enrolment page makes an unconfirmed ``TOTPDevice`` and shows its
secret (base32, the ``otpauth://`` URI and a QR code); the device is confirmed by typing a
code it shows, which also verifies the session. From then on each session is verified on the
verify page. Pages guard themselves with :func:`verified_expert_required`.

Every change goes through the services here, in one transaction, and is ledgered
(``accounts.second_factor.*``). A wrong code is ledgered and logged with the number of
failures in a row, never with the code; the secret never reaches a log, the ledger or a
message. Codes are rate-limited twice: per person by :class:`CodeThrottle` (the login
throttle's family, ggzy/throttling.py; rate ``second_factor``) and per device by django-otp's
own back-off (1, 2, 4 … seconds after each wrong code, ``OTP_TOTP_THROTTLE_FACTOR``).
"""

from __future__ import annotations

import functools
import logging
import math
from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Person, Role
from ggzy import clock
from ggzy.api import too_many_requests
from ggzy.errors import DomainError
from ggzy.log import mark_refusal
from ggzy.throttling import LoginAttemptThrottle
from supervision import ledger

logger = logging.getLogger(__name__)

# Who passes a second factor. Only experts, for now: their pages show bids being evaluated.
SECOND_FACTOR_ROLES = frozenset({Role.EXPERT})
DEVICE_NAME = "authenticator"
# RFC 4226 asks for at least 128 bits; django-otp makes 160 (and accepts up to 320).
MIN_KEY_BYTES, MAX_KEY_BYTES = 16, 40

WRONG_CODE = (
    "验证码不正确：请输入认证器应用当前显示的6位数字 / "
    "The code is wrong: type the six digits your authenticator app shows now"
)
WRONG_CODE_AT_ENROLMENT = (
    "验证码不正确：请输入认证器应用当前显示的6位数字；若一直不对，请核对手机的时间是否准确 / "
    "The code is wrong: type the six digits your authenticator app shows now; if it keeps "
    "failing, check that your phone's clock is right"
)
NOT_AN_EXPERT = (
    "此页面仅供评标专家使用：请以专家账户登录 / "
    "This page is for evaluation experts only: sign in with an expert's account"
)
NOT_FOR_THIS_ROLE = (
    "动态验证码目前仅供评标专家使用，您的账户无需设置 / "
    "The second factor is for evaluation experts only: your account needs none"
)
ALREADY_ENROLLED = (
    "您已设置认证器：请输入它显示的验证码；如手机丢失，请联系交易中心重置 / "
    "You already have an authenticator: type the code it shows; if you lost your phone, ask "
    "the trading centre to reset it"
)
NOT_ENROLLED = (
    "您尚未设置认证器：请先在“设置认证器”页面添加 / "
    "You have no authenticator yet: add one on the set-up page first"
)
NO_ENROLMENT = (
    "没有正在进行的认证器设置：请重新打开设置页面，扫描新的二维码 / "
    "No authenticator set-up is in progress: open the set-up page again and scan the new code"
)


class CodeThrottled(DomainError):
    """Too many codes: ``retry_after`` seconds until one is accepted again."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, code="throttled", field="code")
        self.retry_after = retry_after


class CodeThrottle(LoginAttemptThrottle):
    """Codes typed at the second factor (enrolment and verification), per person, right or
    wrong: scope ``second_factor``. The login throttle's exact ``wait()``; the bucket is
    the person's, wherever they type from (the session already names them)."""

    scope = "second_factor"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = getattr(request, "user", None)
        ident = f"person-{getattr(user, 'pk', None) or self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def code_throttled(request: HttpRequest) -> CodeThrottled | None:
    """Count one typed code against the person's rate; the refusal if over it."""
    throttle = CodeThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # a page, not an API view
        return None
    return _throttled(
        throttle.wait() or 60,
        reason_zh="输入验证码过于频繁",
        reason_en="Too many codes typed",
    )


def _throttled(seconds: float, *, reason_zh: str, reason_en: str) -> CodeThrottled:
    body, _headers = too_many_requests(
        seconds, code="throttled", reason_zh=reason_zh, reason_en=reason_en
    )
    return CodeThrottled(str(body["detail"]), retry_after=max(1, math.ceil(seconds)))


# --- Reading ------------------------------------------------------------------------------


def uses_second_factor(person: Any) -> bool:
    return bool(getattr(person, "is_authenticated", False)) and (
        getattr(person, "role", "") in SECOND_FACTOR_ROLES
    )


def confirmed_device(person: Person) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=person, confirmed=True).order_by("pk").first()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check is not None and check())


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in. Show it to its person only."""
    return b32encode(device.bin_key).decode("ascii")


def otpauth_uri(device: TOTPDevice) -> str:
    """``otpauth://totp/ggzy:<username>?secret=…&issuer=ggzy`` (OTP_TOTP_ISSUER)."""
    return str(device.config_url)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth URI as an inline SVG QR code (no script, no style attribute: CSP)."""
    image = qrcode.make(
        otpauth_uri(device),
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,  # tenths of a millimetre per module: about 5 cm across
        border=2,
    )
    return str(image.to_string(encoding="unicode"))


def current_code(device: TOTPDevice) -> str:
    """The code the device's authenticator shows now (django-otp's own TOTP, at
    ``clock.now()``): for tests and the demo's printed instructions."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now().timestamp()
    return f"{totp.token():0{device.digits}d}"


# --- Services -----------------------------------------------------------------------------


def _locked_person(person: Person) -> Person:
    """The person's row, locked: one enrolment at a time, whatever the number of tabs."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if not uses_second_factor(locked):
        raise DomainError(NOT_FOR_THIS_ROLE, code="forbidden")
    return locked


def _device_data(device: TOTPDevice) -> dict[str, Any]:
    # The device's id and name, never its key (nor anything derived from it).
    return {"device": device.persistent_id, "name": device.name}


@transaction.atomic
def pending_device(*, person: Person) -> TOTPDevice:
    """The person's unconfirmed device, made on first call (ledgered) and the same one on
    every later call, so that reloading the set-up page never changes the secret scanned."""
    locked = _locked_person(person)
    if confirmed_device(locked) is not None:
        raise DomainError(ALREADY_ENROLLED, code="conflict")
    device = TOTPDevice.objects.filter(user=locked, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=locked, name=DEVICE_NAME, confirmed=False)
        ledger.append(
            "accounts.second_factor.enrolment_started",
            actor=locked,
            target=locked,
            data=_device_data(device),
        )
    return device


def _try_code(device: TOTPDevice, code: str, *, person: Person, stage: str) -> bool:
    """Check ``code`` on the locked ``device``: django-otp's verification and back-off. A
    refused code is counted on the device, ledgered and logged (the count, not the code)."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        locked_until = (info or {}).get("locked_until")
        wait = (locked_until - clock.now()).total_seconds() if locked_until else 1.0
        failures = int((info or {}).get("failure_count", device.throttling_failure_count))
        raise _throttled(
            wait,
            reason_zh=f"已连续输错 {failures} 次验证码",
            reason_en=f"{failures} wrong code{'s' if failures != 1 else ''} in a row",
        )
    if device.verify_token(code):
        return True
    ledger.append(
        "accounts.second_factor.failed",
        actor=person,
        target=person,
        data={**_device_data(device), "stage": stage, "failures": device.throttling_failure_count},
    )
    logger.warning(
        "second factor refused a wrong code: person=%s stage=%s failures_in_a_row=%d",
        person.get_username(),
        stage,
        device.throttling_failure_count,
    )
    return False


def confirm(*, person: Person, code: str) -> TOTPDevice:
    """Confirm the pending device with a code it shows now. A wrong code is refused (and
    counted, committed) with ``WRONG_CODE_AT_ENROLMENT``."""
    with transaction.atomic():
        locked = _locked_person(person)
        if confirmed_device(locked) is not None:
            raise DomainError(ALREADY_ENROLLED, code="conflict")
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=locked, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise DomainError(NO_ENROLMENT, code="not_found", field="code")
        right = _try_code(device, code, person=locked, stage="enrolment")
        if right:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
            ledger.append(
                "accounts.second_factor.enrolled",
                actor=locked,
                target=locked,
                data=_device_data(device),
            )
    if not right:  # after the commit: the failure stays counted
        raise DomainError(WRONG_CODE_AT_ENROLMENT, code="wrong_code", field="code")
    return device


def verify(*, person: Person, code: str) -> TOTPDevice:
    """Check a code against the person's confirmed device. The caller then marks the
    session (:func:`mark_verified`). A wrong code is refused with ``WRONG_CODE``."""
    with transaction.atomic():
        locked = _locked_person(person)
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=locked, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise DomainError(NOT_ENROLLED, code="not_found")
        right = _try_code(device, code, person=locked, stage="verification")
        if right:
            ledger.append(
                "accounts.second_factor.verified",
                actor=locked,
                target=locked,
                data=_device_data(device),
            )
    if not right:  # after the commit: the failure stays counted
        raise DomainError(WRONG_CODE, code="wrong_code", field="code")
    return device


def mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session passed the second factor: a new session key (what was stolen before is
    worth less), then django-otp remembers the device in it."""
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def enrol_confirmed(person: Person, *, key_hex: str | None = None) -> TOTPDevice:
    """A confirmed device for ``person`` at once, with ``key_hex`` as its secret if given (a
    random one otherwise): for the demo data and tests, which then know the secret
    (:func:`current_code`). Ledgered as an enrolment, like the page's."""
    locked = _locked_person(person)
    if confirmed_device(locked) is not None:
        raise DomainError(ALREADY_ENROLLED, code="conflict")
    fields: dict[str, Any] = {"user": locked, "name": DEVICE_NAME, "confirmed": True}
    if key_hex is not None:
        try:
            size = len(bytes.fromhex(key_hex))
        except ValueError:
            size = -1
        if not MIN_KEY_BYTES <= size <= MAX_KEY_BYTES:
            # Never repeat the value: it is a secret.
            raise DomainError(
                f"密钥须为 {MIN_KEY_BYTES}–{MAX_KEY_BYTES} 字节的十六进制串 / The key must be "
                f"{MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, hex-encoded",
                code="invalid",
                field="key_hex",
            )
        fields["key"] = key_hex.lower()
    TOTPDevice.objects.filter(user=locked, confirmed=False).delete()
    device = TOTPDevice.objects.create(**fields)
    ledger.append(
        "accounts.second_factor.enrolled", actor=locked, target=locked, data=_device_data(device)
    )
    return device


@transaction.atomic
def reset(*, person: Person, actor: Person) -> int:
    """Remove a person's authenticators (a lost phone): they set up a new one at their next
    sign-in. Centre staff do it, through the person's admin screen; returns how many."""
    locked = _locked_person(person)
    removed, _ = TOTPDevice.objects.filter(user=locked).delete()
    if removed:
        ledger.append(
            "accounts.second_factor.reset", actor=actor, target=locked, data={"devices": removed}
        )
    return removed


# --- Pages --------------------------------------------------------------------------------


def safe_next(request: HttpRequest) -> str:
    """Where to go after the second factor: ``next`` if it stays on this site, else the
    workbench."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:dashboard")


def with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def refused(request: HttpRequest, reason: str) -> HttpResponse:
    """A 403 that says why and what to do (Django's own 403 page says neither)."""
    mark_refusal(request, "forbidden")
    return render(request, "accounts/second_factor_refused.html", {"reason": reason}, status=403)


def verified_expert_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Guard a function view so that only an expert whose session passed the second factor
    reaches it::

        from accounts.second_factor import verified_expert_required

        @verified_expert_required
        def score_sheet(request, pk): ...

    In order: not signed in → the login page (``next=`` this page); signed in but not an
    expert (``Role.EXPERT``) → 403 with a bilingual reason; an expert without a confirmed
    authenticator → the set-up page (``accounts:second_factor_enrol``, ``next=`` this page);
    an expert whose session is not verified (``request.user.is_verified()``) → the verify
    page (``accounts:second_factor_verify``, ``next=`` this page); otherwise the view runs.
    It checks who may reach expert pages at all; whether this expert may see this object
    is still the view's own access helper's question.
    """

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        here = request.get_full_path()
        if not user.is_authenticated:
            return redirect_to_login(here)
        if not isinstance(user, Person) or user.role != Role.EXPERT:
            return refused(request, NOT_AN_EXPERT)
        if confirmed_device(user) is None:
            return redirect(with_next("accounts:second_factor_enrol", here))
        if not is_verified(request):
            return redirect(with_next("accounts:second_factor_verify", here))
        return view(request, *args, **kwargs)

    return guarded
