"""The public guarantee verification page: a number and the verification code printed on the
guarantee show what it guarantees; anything else shows the same "not found"."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from deposits import guarantees
from deposits.guarantee_api import NOT_FOUND, amount_in_words
from ggzy.api import wait_in_words
from ggzy.log import mark_refusal
from ggzy.throttling import VerificationThrottle


class VerifyForm(forms.Form):
    number = forms.CharField(label=_("Guarantee number"), max_length=64)
    code = forms.CharField(
        label=_("Verification code"),
        max_length=32,
        help_text=_("As printed on the guarantee, e.g. ABCD-EFGH-JKLM"),
    )


def _throttled(request: HttpRequest, seconds: float) -> HttpResponse:
    wait_zh, wait_en = wait_in_words(seconds)
    mark_refusal(request, "throttled")
    response = render(
        request,
        "deposits/guarantee_verify.html",
        {"form": VerifyForm(), "wait_zh": wait_zh, "wait_en": wait_en, "throttled": True},
        status=429,
    )
    response["Retry-After"] = str(max(1, int(seconds)))
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """POST, not GET: the code must not end up in addresses, logs or Referer headers."""
    form = VerifyForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST":
        throttle = VerificationThrottle()
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            return _throttled(request, throttle.wait() or 60)
        if form.is_valid():
            found = guarantees.verify_public(
                number=form.cleaned_data["number"], code=form.cleaned_data["code"]
            )
            context["searched"] = True
            context["guarantee"] = found
            if found is None:
                context["not_found"] = NOT_FOUND["detail"]
            else:
                context["amount_in_words"] = amount_in_words(found)
    return render(request, "deposits/guarantee_verify.html", context)
