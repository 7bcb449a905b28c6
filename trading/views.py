"""Public pages: announcements, a section's page, document downloads (no login needed)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.http import client_address
from trading import access, documents, objections
from trading.forms import DownloadForm, ObjectionForm, SectionFilterForm
from trading.models import TenderDocument
from trading.transitions import BEFORE_DEADLINE


def announcements(request: HttpRequest) -> HttpResponse:
    form = SectionFilterForm(request.GET or None)
    sections = access.public_sections().order_by("-published_at")
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            sections = sections.filter(
                Q(name__icontains=query)
                | Q(code__icontains=query)
                | Q(project__name__icontains=query)
            )
        if form.cleaned_data["category"]:
            sections = sections.filter(category=form.cleaned_data["category"])
        if form.cleaned_data["status"]:
            sections = sections.filter(status=form.cleaned_data["status"])
    page = Paginator(sections, 20).get_page(request.GET.get("page"))
    return render(request, "trading/announcements.html", {"form": form, "page": page})


def section_detail(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_for(request.user, {"code": code})
    context = {
        "section": section,
        "documents": section.documents.all(),
        "current": documents.current_document(section),
        "clarifications": section.clarifications.all(),
        "deadline_ms": clock.epoch_ms(section.bid_deadline),
        "before_deadline": section.status in BEFORE_DEADLINE and clock.now() < section.bid_deadline,
        "can_manage": access.can_manage(request.user, section.project),
        "can_object": isinstance(request.user, Person) and request.user.role == "bidder",
        "download_form": DownloadForm(),
        "objection_form": ObjectionForm(),
    }
    return render(request, "trading/section_detail.html", context)


def document_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    document = get_object_or_404(TenderDocument.objects.select_related("section"), pk=pk)
    section = access.section_for(request.user, {"pk": document.section_id})
    form = DownloadForm(request.POST or None)
    email = (
        form.cleaned_data["notify_email"] if request.method == "POST" and form.is_valid() else ""
    )
    person = request.user if isinstance(request.user, Person) else None
    try:
        documents.document_download(
            document=document,
            person=person,
            address=client_address(request.META),
            notify_email=email,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("trading:section", code=section.code)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.original_name
    )


def opening_key(request: HttpRequest, code: str) -> HttpResponse:
    """The section's opening public key, for sealing bids (ggzy-bid seal --opening-key)."""
    section = access.section_for(request.user, {"code": code})
    response = HttpResponse(section.opening_key_pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{section.code}-opening-key.pem"'
    return response


@require_POST
def objection_raise(request: HttpRequest, code: str) -> HttpResponse:
    section = access.section_for(request.user, {"code": code})
    form = ObjectionForm(request.POST)
    if not isinstance(request.user, Person):
        return redirect("accounts:login")
    if form.is_valid():
        try:
            objections.objection_raise(
                section=section, actor=request.user, text=form.cleaned_data["text"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Objection submitted; the answer is due within 3 days."))
    return redirect("trading:section", code=section.code)
