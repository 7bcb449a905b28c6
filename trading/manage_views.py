"""The tenderee's (or agency's) pages: projects, sections, documents, publication."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Person
from ggzy.errors import DomainError
from trading import access, ceremony, documents, objections, services
from trading import retender as retenders
from trading.forms import (
    AnswerForm,
    CancelForm,
    ClarificationForm,
    DocumentForm,
    ProjectForm,
    SectionForm,
)
from trading.models import DocumentDownload, DocumentObjection, Section


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


@login_required
def my_sections(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=_person(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("trading:section_new", project_pk=project.pk)
    context = {
        "sections": access.sections_managed_by(request.user).order_by("-created_at"),
        "projects": access.projects_managed_by(request.user),
        "form": form,
    }
    return render(request, "trading/my_sections.html", context)


@login_required
def section_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = access.project_for(request.user, project_pk, manage=True)
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            section = services.section_create(
                project=project, actor=_person(request), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("trading:manage", pk=section.pk)
    return render(request, "trading/section_new.html", {"project": project, "form": form})


@login_required
def retender(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft replacing a failed or cancelled section (trading/retender.py)."""
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    if not retenders.ended_without_contract(section):
        messages.error(
            request,
            _(
                "Only a failed or cancelled section can be tendered again: cancel this one "
                "first, with the reason, to end its tender."
            ),
        )
        return redirect("trading:manage", pk=pk)
    form = SectionForm(request.POST or None, initial=retenders.initial(section))
    if request.method == "POST" and form.is_valid():
        try:
            new = retenders.section_retender(
                section=section, actor=_person(request), **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("A new draft replaces the section: add its documents."))
            return redirect("trading:manage", pk=new.pk)
    return render(
        request,
        "trading/section_new.html",
        {"project": section.project, "form": form, "retender_of": section},
    )


@login_required
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    downloads = None
    if access.can_see_downloads(request.user, section):
        downloads = DocumentDownload.objects.filter(document__section=section).select_related(
            "organisation"
        )
    context = {
        "section": section,
        "documents": section.documents.all(),
        "clarifications": section.clarifications.all(),
        "objections": section.objections.select_related("organisation"),
        # An objector is a company interested in the section: named, like the downloads,
        # only once the deadline has passed [E21, L22].
        "shows_objectors": downloads is not None,
        "downloads": downloads,
        "document_form": DocumentForm(),
        "clarification_form": ClarificationForm(),
        "answer_form": AnswerForm(),
        "cancel_form": CancelForm(),
        "can_retender": retenders.ended_without_contract(section),
        "retendered_as": Section.objects.filter(retender_of=section).first(),
        "ceremony": ceremony.page(section),
    }
    return render(request, "trading/manage.html", context)


def _act(
    request: HttpRequest, pk: int, form_class: type, call: object, success: str
) -> HttpResponse:
    """POST a form, call the service with it, and come back to the management page."""
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("trading:manage", pk=pk)
    try:
        call(section, form)  # type: ignore[operator]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("trading:manage", pk=pk)


@login_required
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        DocumentForm,
        lambda section, form: documents.document_issue(
            section=section,
            actor=_person(request),
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["file"],
        ),
        _("Tender documents uploaded."),
    )


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    section = access.section_for(request.user, {"pk": pk}, manage=True)
    try:
        services.section_publish(section=section, actor=_person(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Published. The opening key is in place with its three holders.")
        )
    return redirect("trading:manage", pk=pk)


@login_required
@require_POST
def clarify(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        ClarificationForm,
        lambda section, form: documents.clarification_issue(
            section=section, actor=_person(request), **form.service_arguments()
        ),
        _("Clarification issued; everyone who downloaded has been notified."),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        CancelForm,
        lambda section, form: services.section_cancel(
            section=section, actor=_person(request), reason=form.cleaned_data["reason"]
        ),
        _("Section cancelled."),
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    objection = get_object_or_404(DocumentObjection, pk=objection_pk, section_id=pk)
    return _act(
        request,
        pk,
        AnswerForm,
        lambda section, form: objections.objection_answer(
            objection=objection, actor=_person(request), answer=form.cleaned_data["answer"]
        ),
        _("Answer sent."),
    )
