"""Account pages. Views parse input, ask the access helper, call a service, render."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from knox.models import AuthToken

from accounts import access, second_factor, services, workbench
from accounts.forms import (
    KeyBindForm,
    OrganisationEditForm,
    PersonAddForm,
    RegisterOrganisationForm,
)
from accounts.models import Person, Role
from ggzy import clock
from ggzy.api import too_many_requests, wait_in_words
from ggzy.errors import DomainError
from ggzy.log import mark_refusal

# Who gets the workbench link to the opening halls they host, supervise or run.
HALL_ROLES = frozenset({Role.STAFF, Role.REGULATOR, Role.TENDEREE})


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _attempt(request: HttpRequest, action: Callable[[], object], success: str) -> None:
    """Run a service call from a button: flash its refusal's reason, or the success."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def register(request: HttpRequest) -> HttpResponse:
    form = RegisterOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.organisation_register(**form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Organisation registered. Next, bind its SM2 key."))
            return redirect("accounts:keys", pk=person.organisation_id)
    return render(request, "accounts/register.html", {"form": form})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    organisation = person.organisation
    context: dict[str, object] = {"organisation": organisation}
    # The halls page (realtime) lists what the centre hosts, the regulator supervises and
    # the tenderee runs; linked by URL name only: accounts imports no upper floor.
    context["oversees_halls"] = person.is_superuser or person.role in HALL_ROLES
    # Experts pass a second factor before their evaluation pages: set it up, or verify.
    if second_factor.uses_second_factor(person):
        context["second_factor"] = {
            "enrolled": second_factor.confirmed_device(person) is not None,
            "verified": second_factor.is_verified(request),
        }
    if organisation is not None:
        context["active_key"] = services.active_key(organisation)
        context["can_manage"] = access.can_manage_organisation(person, organisation)
    # What the person's role works on: each app's providers (accounts/workbench.py).
    context["panels"] = workbench.panels_for(person, clock.now())
    return render(request, "accounts/dashboard.html", context)


def _signed_in_or_whole_page_to_login(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """``login_required`` for htmx's panel refreshes: a refresh after the session ended gets
    an ``HX-Redirect`` that takes the whole page to the login (and back to the workbench),
    not the login form swapped into a panel."""
    guarded = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated or request.headers.get("HX-Request") != "true":
            return guarded(request, *args, **kwargs)
        response = HttpResponse(
            "登录已过期：请重新登录后回到工作台 / Your session has ended: sign in again to "
            "return to the workbench",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["HX-Redirect"] = (
            f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': reverse('accounts:dashboard')})}"
        )
        return response

    return wrapper


@require_safe
@_signed_in_or_whole_page_to_login
def workbench_panels(request: HttpRequest) -> HttpResponse:
    """The workbench's panels for htmx to swap in: ``?panel=<key>`` one, else all of them;
    a key the person's workbench does not have is not found."""
    panels = workbench.panels_for(_person(request), clock.now())
    key = request.GET.get("panel")
    if key is None:
        return render(request, "accounts/_workbench_panels.html", {"panels": panels})
    for panel in panels:
        if panel.key == key:
            return render(request, "accounts/_workbench_panel.html", {"panel": panel})
    return HttpResponse(
        "没有这个面板：请刷新工作台 / No such panel: reload the workbench",
        status=404,
        content_type="text/plain; charset=utf-8",
    )


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = access.organisation_for(request.user, pk, manage=True)
    initial = {name: getattr(organisation, name) for name in OrganisationEditForm.base_fields}
    form = OrganisationEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            services.organisation_update(
                organisation=organisation, actor=_person(request), changes=changes
            )
            messages.success(request, _("Organisation details saved."))
        return redirect("accounts:dashboard")
    return render(
        request, "accounts/organisation_edit.html", {"organisation": organisation, "form": form}
    )


@login_required
def people(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = access.organisation_for(request.user, pk)
    can_manage = access.can_manage_organisation(request.user, organisation)
    form = PersonAddForm(request.POST or None)
    if request.method == "POST":
        organisation = access.organisation_for(request.user, pk, manage=True)
        if form.is_valid():
            try:
                services.person_add(
                    organisation=organisation, actor=_person(request), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Person added."))
                return redirect("accounts:people", pk=pk)
    context = {
        "organisation": organisation,
        "people": organisation.people.order_by("username"),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "accounts/people.html", context)


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    organisation = access.organisation_for(request.user, pk, manage=True)
    person = get_object_or_404(Person, pk=person_pk, organisation=organisation)
    _attempt(
        request,
        lambda: services.person_deactivate(person=person, actor=_person(request)),
        _("Person deactivated."),
    )
    return redirect("accounts:people", pk=pk)


@login_required
def keys(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = access.organisation_for(request.user, pk)
    can_manage = access.can_manage_organisation(request.user, organisation)
    form = KeyBindForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        organisation = access.organisation_for(request.user, pk, manage=True)
        if form.is_valid():
            try:
                key = services.key_bind(
                    organisation=organisation,
                    actor=_person(request),
                    key_data=form.cleaned_data["key_bytes"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Key bound: %(fp)s. The previous key is retired: bids already received "
                        "stay valid (keep its private key file: you decrypt them with it in the "
                        "opening hall); a bid sealed with it but not yet uploaded must be sealed "
                        "again with the new key."
                    )
                    % {"fp": key.fingerprint},
                )
                return redirect("accounts:keys", pk=pk)
    context = {
        "organisation": organisation,
        "keys": organisation.keys.all(),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "accounts/keys.html", context)


@login_required
@require_POST
def key_retire(request: HttpRequest, pk: int) -> HttpResponse:
    key = access.key_for(request.user, pk, manage=True)
    _attempt(
        request,
        lambda: services.key_retire(key=key, actor=_person(request)),
        _("Key retired."),
    )
    return redirect("accounts:keys", pk=key.organisation_id)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    issued = None
    if request.method == "POST":
        if "revoke" in request.POST:
            handle = request.POST["revoke"]
            _attempt(
                request,
                lambda: services.token_revoke(person=person, handle=handle),
                _("Token revoked."),
            )
            return redirect("accounts:tokens")
        _token, issued = services.token_issue(person=person)
    rows = [
        {"handle": services.token_handle(token), "created": token.created, "expiry": token.expiry}
        for token in AuthToken.objects.filter(user=person).order_by("-created")
    ]
    return render(request, "accounts/tokens.html", {"tokens": rows, "issued": issued})


def _lockout_seconds(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Seconds until axes lets this username + address try again: the cool-off counted
    from the latest recorded failure (with axes' default, a try during the lockout restarts
    it, so this is usually the whole cool-off)."""
    cool_off = get_cool_off(request)
    if cool_off is None:  # a permanent lockout: say the longest honest thing we can
        return 24 * 3600
    latest = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(latest=Max("attempt_time"))["latest"]
    now = getattr(request, "axes_attempt_time", None) or clock.now()
    remaining = (latest + cool_off - now) if latest else cool_off
    return max(1, math.ceil(remaining.total_seconds()))


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a lockout is a 429 with Retry-After and a bilingual message
    that says when to try again; JSON for the API (ggzy-bid), the page for browsers."""
    seconds = _lockout_seconds(request, credentials)
    mark_refusal(request, "locked_out")
    match = getattr(request, "resolver_match", None)
    if (match is not None and match.namespace == "api") or request.path.startswith("/api/"):
        body, headers = too_many_requests(
            seconds,
            code="locked_out",
            reason_zh="登录失败次数过多，该账户已在此地址被暂时锁定",
            reason_en="Too many failed logins: this account is locked for this address",
        )
        return JsonResponse(body, status=429, headers=headers)
    wait_zh, wait_en = wait_in_words(seconds)
    response = render(
        request,
        "accounts/locked_out.html",
        {"wait_zh": wait_zh, "wait_en": wait_en, "retry_after": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
