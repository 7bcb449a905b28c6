"""The archive pages: the list (regulators: their departments' sections; centre staff: their
centre's, with "seal now") and the download, ledgered as a reading. Every view asks
``access`` first; a section the person may not see is a 404 like a missing one."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Person
from ggzy.errors import DomainError
from supervision import readings
from supervision.archive import access, services
from supervision.archive.models import Archive
from trading.models import SectionStatus

PAGE = 50
LISTED = (*services.CLOSED, SectionStatus.ARCHIVED)


@require_safe
@login_required
def archive_list(request: HttpRequest) -> HttpResponse:
    access.require_reader(request.user)
    sections = (
        access.sections_of(request.user)
        .filter(status__in=LISTED)
        .select_related("archive")
        .order_by("-bid_deadline", "pk")
    )
    page = Paginator(sections, PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(section, getattr(section, "archive", None)) for section in page],
        "can_seal": access.is_centre_staff(request.user),
        "after_days": settings.ARCHIVE_AFTER.days,
    }
    return render(request, "archive/list.html", context)


@require_safe
@login_required
def archive_download(request: HttpRequest, code: str) -> FileResponse:
    section = access.section_of(request.user, code)
    archive = Archive.objects.filter(section=section).first()
    if archive is None:
        raise Http404
    # A reading: who took a section's whole file, and when [E49].
    readings.viewed(
        reader=request.user,
        what="archive_downloaded",
        target=archive,
        data={"section": section.code, "sm3": archive.sm3},
    )
    return FileResponse(
        services.open_package(archive),
        as_attachment=True,
        filename=f"ggzy-archive-{section.code}.zip",
        content_type="application/zip",
    )


@require_POST
@login_required
def archive_seal_now(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_of(request.user, code)
    access.require_sealer(request.user, section)
    person = cast(Person, request.user)  # require_sealer admitted centre staff only
    try:
        services.archive_seal(section=section, actor=person)
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(
        request,
        _(
            "Sealing has started: the archive appears in this list with its download once the "
            "package is built (usually within a minute)."
        ),
    )
    return redirect("archive:list")


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "archive/refused.html", {"reason": exc.message}, status=409)
