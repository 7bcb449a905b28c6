"""The second factor's pages: set up an authenticator, and type its code to verify the
session. Views parse the code, count it against the rate, call accounts.second_factor and
render; the rules are there."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from accounts.models import Person
from ggzy.errors import DomainError
from ggzy.log import mark_refusal

CODE_FORMAT = (
    "请输入认证器应用当前显示的6位数字 / Type the six digits your authenticator app shows now"
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(CODE_FORMAT, code="invalid")
        return code


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, object],
    refusal: second_factor.CodeThrottled | None = None,
) -> HttpResponse:
    """The page, or the same page as a 429 that says when to try again."""
    if refusal is None:
        return render(request, template, context)
    mark_refusal(request, "throttled")
    response = render(request, template, {**context, "throttled": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _enrolment_context(device: TOTPDevice, form: CodeForm, next_url: str) -> dict[str, object]:
    return {
        "form": form,
        "next": next_url,
        "secret": second_factor.secret_base32(device),
        "uri": second_factor.otpauth_uri(device),
        "qr": second_factor.qr_svg(device),
        "issuer": "ggzy",
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: scan (or type) the secret, then type the code it shows."""
    person = _person(request)
    if not second_factor.uses_second_factor(person):
        return second_factor.refused(request, second_factor.NOT_FOR_THIS_ROLE)
    next_url = second_factor.safe_next(request)
    if second_factor.confirmed_device(person) is not None:  # one authenticator each
        return redirect(second_factor.with_next("accounts:second_factor_verify", next_url))
    form = CodeForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        refusal = second_factor.code_throttled(request)
        if refusal is None and form.is_valid():
            try:
                device = second_factor.confirm(person=person, code=form.cleaned_data["code"])
            except second_factor.CodeThrottled as exc:
                refusal = exc
            except DomainError as exc:
                if exc.code == "conflict":  # confirmed in another tab meanwhile
                    return redirect(
                        second_factor.with_next("accounts:second_factor_verify", next_url)
                    )
                form.add_error("code", exc.message)
            else:
                second_factor.mark_verified(request, device)
                messages.success(
                    request, _("Authenticator set up. This session has passed the second factor.")
                )
                return redirect(next_url)
    try:
        device = second_factor.pending_device(person=person)
    except DomainError:  # confirmed in another tab meanwhile
        return redirect(second_factor.with_next("accounts:second_factor_verify", next_url))
    context = _enrolment_context(device, form, next_url)
    return _page(request, "accounts/second_factor_enrol.html", context, refusal)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Type the code the authenticator shows to pass the second factor for this session."""
    person = _person(request)
    if not second_factor.uses_second_factor(person):
        return second_factor.refused(request, second_factor.NOT_FOR_THIS_ROLE)
    next_url = second_factor.safe_next(request)
    if second_factor.confirmed_device(person) is None:
        return redirect(second_factor.with_next("accounts:second_factor_enrol", next_url))
    if request.method == "GET" and second_factor.is_verified(request):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        refusal = second_factor.code_throttled(request)
        if refusal is None and form.is_valid():
            try:
                device = second_factor.verify(person=person, code=form.cleaned_data["code"])
            except second_factor.CodeThrottled as exc:
                refusal = exc
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                second_factor.mark_verified(request, device)
                messages.success(request, _("Code accepted."))
                return redirect(next_url)
    context = {"form": form, "next": next_url}
    return _page(request, "accounts/second_factor_verify.html", context, refusal)
