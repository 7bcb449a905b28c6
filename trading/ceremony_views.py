"""The management page's buttons for the opening key ceremony: start (or restart) it, and
choose how the draft's opening key is made. Both come back to the management page, where
the ceremony is shown (templates/trading/_ceremony.html)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Person
from ggzy.errors import DomainError
from ggzy.http import client_address
from trading import access, ceremony


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


@login_required
@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    try:
        ceremony.start(
            section=section, actor=_person(request), address=client_address(request.META)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "The opening key ceremony has started: each holder now takes its step with ggzy-bid."
            ),
        )
    return redirect("trading:manage", pk=pk)


@login_required
@require_POST
def choose_mode(request: HttpRequest, pk: int) -> HttpResponse:
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    try:
        ceremony.choose_mode(
            section=section, actor=_person(request), mode=request.POST.get("mode", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The way the opening key is made has been changed."))
    return redirect("trading:manage", pk=pk)
