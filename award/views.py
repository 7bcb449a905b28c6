"""The award stage's pages: the public result of a section (publicity, award, contract
terms), objections to the result, the tenderee's award page, each organisation's notices
and the signed downloads. Every page asks award/access.py first; a service's refusal comes
back as a message (or a form error) with its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Person
from award import access, documents, objections, services
from award.forms import AnswerForm, ContractForm, DeclineForm, ObjectionForm, ReasonForm
from award.models import Award, AwardStatus, Contract, Publicity, ResultObjection
from ggzy import clock
from ggzy.errors import DomainError
from trading.models import Section

FORMATS = ("json", "signature")


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def _act(request: HttpRequest, action: Callable[[], Any], done: str) -> bool:
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def _contract(section: Section) -> Contract | None:
    return Contract.objects.filter(award__section=section).select_related("award").first()


@require_safe
def result(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the candidates (during publicity and after), how to object, the award and the
    contract's key terms [R54, L45, L46]."""
    section, publicity = access.section_with_publicity(request.user, code)
    contract = _contract(section)
    context = {
        "section": section,
        "publicity": publicity,
        "publicity_open": clock.now() < publicity.ends_at,
        "may_object": objections.may_object(request.user, section),
        "award": access.public_award(section),
        "contract": contract,
        "contract_file": contract is not None and access.sees_contract_file(request.user, contract),
        "insider": access.is_insider(request.user, section),
    }
    return render(request, "award/result.html", context)


def _signed(document: Any, kind: str, stem: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    if fmt == "json":
        response = HttpResponse(bytes(document.content), content_type="application/json")
        name = f"{stem}.json"
    else:
        response = JsonResponse(documents.signature_json(document))
        name = f"{stem}.sig.json"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


@require_safe
def publicity_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    section, publicity = access.section_with_publicity(request.user, code)
    return _signed(publicity, "publicity", f"candidate-publicity-{section.code}", fmt)


@login_required
@require_safe
def award_download(request: HttpRequest, code: str, pk: int, fmt: str) -> HttpResponse:
    section, _publicity = access.section_with_publicity(request.user, code)
    award = access.award_for(request.user, section, pk)
    return _signed(award, "award", f"award-notice-{section.code}-{award.rank}", fmt)


@login_required
@require_safe
def notice_download(request: HttpRequest, code: str, pk: int, fmt: str) -> HttpResponse:
    section, _publicity = access.section_with_publicity(request.user, code)
    notice = access.notice_for(request.user, section, pk)
    return _signed(notice, "result", f"result-notice-{section.code}-{notice.pk}", fmt)


@login_required
@require_safe
def contract_file(request: HttpRequest, code: str) -> FileResponse:
    """The signed contract file: the parties, the winner and the overseers only."""
    section, _publicity = access.section_with_publicity(request.user, code)
    contract = access.contract_file_for(request.user, section)
    return FileResponse(
        contract.document.open("rb"),
        as_attachment=True,
        filename=contract.document_name or f"contract-{section.code}.pdf",
        content_type="application/pdf",
    )


@login_required
def objection_page(request: HttpRequest, code: str) -> HttpResponse:
    """The bidder's form and its own objections; the tenderee's objections to answer."""
    section, publicity = access.section_with_publicity(request.user, code)
    may_object = objections.may_object(request.user, section)
    insider = access.is_insider(request.user, section)
    if not (may_object or insider):
        access.section_to_object_to(request.user, code)  # raises 403 with the reason
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        access.section_to_object_to(request.user, code)
        if form.is_valid():
            try:
                objection = objections.objection_raise(
                    section=section, actor=_person(request), text=form.cleaned_data["text"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Objection sent. The tenderee answers by %(due)s; the award waits until then."
                    )
                    % {"due": objection.answer_due.isoformat(timespec="minutes")},
                )
                return redirect("award:objections", code=section.code)
    context = {
        "section": section,
        "publicity": publicity,
        "publicity_open": clock.now() < publicity.ends_at,
        "may_object": may_object,
        "manager": access.is_manager(request.user, section),
        "objections": access.objections_seen_by(request.user, section),
        "form": form,
        "answer_form": AnswerForm(),
    }
    return render(request, "award/objections.html", context)


@login_required
@require_POST
def objection_answer(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    section, _publicity = access.section_with_publicity(request.user, code)
    objection: ResultObjection = access.objection_to_answer(request.user, section, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Write the answer (at most 10,000 characters) and choose the outcome.")
        )
    else:
        data = form.cleaned_data
        _act(
            request,
            lambda: objections.objection_answer(
                objection=objection,
                actor=_person(request),
                answer=data["answer"],
                outcome=data["outcome"],
                excludes_number=data["excludes_number"],
                retender=data["retender"],
            ),
            _("Answer recorded and sent to the objector."),
        )
    return redirect("award:objections", code=section.code)


def _manage_context(section: Section, publicity: Publicity) -> dict[str, Any]:
    awards = list(Award.objects.filter(section=section).select_related("organisation"))
    live = next((a for a in awards if a.status != AwardStatus.DECLINED), None)
    return {
        "section": section,
        "publicity": publicity,
        "publicity_open": clock.now() < publicity.ends_at,
        "unanswered": ResultObjection.objects.filter(
            section=section, answered_at__isnull=True
        ).count(),
        "candidate": services.next_candidate(section),
        "awards": awards,
        "live": live,
        "contract": _contract(section),
        "decline_form": DeclineForm(),
        "retender_form": ReasonForm(),
    }


@login_required
@require_safe
def manage(request: HttpRequest, code: str) -> HttpResponse:
    """The tenderee's award page: issue the award, record a decline, re-tender, record the
    contract (with the file upload)."""
    section, publicity = access.section_to_manage(request.user, code)
    context = _manage_context(section, publicity)
    context["contract_form"] = ContractForm()
    return render(request, "award/manage.html", context)


@login_required
@require_POST
def issue(request: HttpRequest, code: str) -> HttpResponse:
    section, _publicity = access.section_to_manage(request.user, code)
    _act(
        request,
        lambda: services.award_issue(section=section, actor=_person(request)),
        _("Award notice issued; result notices sent to the other bidders."),
    )
    return redirect("award:manage", code=section.code)


@login_required
@require_POST
def decline(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    section, _publicity = access.section_to_manage(request.user, code)
    award = access.award_for(request.user, section, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason (at most 500 characters)."))
    else:
        _act(
            request,
            lambda: services.award_decline(
                award=award, actor=_person(request), reason=form.cleaned_data["reason"]
            ),
            _("Decline recorded; the centre is told the deposit may be forfeited."),
        )
    return redirect("award:manage", code=section.code)


@login_required
@require_POST
def retender(request: HttpRequest, code: str) -> HttpResponse:
    section, _publicity = access.section_to_manage(request.user, code)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason (at most 2,000 characters)."))
    else:
        _act(
            request,
            lambda: services.award_retender(
                section=section, actor=_person(request), reason=form.cleaned_data["reason"]
            ),
            _(
                "The section failed and its deposits are refunded: tender it again from the "
                "section's management page."
            ),
        )
    return redirect("award:manage", code=section.code)


@login_required
@require_POST
def contract(request: HttpRequest, code: str) -> HttpResponse:
    section, publicity = access.section_to_manage(request.user, code)
    form = ContractForm(request.POST, request.FILES)
    live = access.public_award(section)
    if form.is_valid() and live is not None:
        data = form.cleaned_data
        upload = data["document"]
        try:
            services.contract_record(
                award=live,
                actor=_person(request),
                number=data["number"],
                signed_on=data["signed_on"],
                price=data["price"],
                terms=form.terms(),
                document=upload.read(),
                document_name=upload.name,
            )
        except DomainError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("Contract recorded; deposits are refunded with interest."))
            return redirect("award:manage", code=section.code)
    elif live is None:
        form.add_error(None, _("There is no live award notice to record a contract for."))
    context = _manage_context(section, publicity)
    context["contract_form"] = form
    return render(request, "award/manage.html", context, status=400)


@login_required
@require_safe
def notices(request: HttpRequest) -> HttpResponse:
    """My organisation's award notices and result notices, with their signed downloads."""
    awards, result_notices = access.notices_of(request.user)
    return render(
        request,
        "award/notices.html",
        {"awards": awards[:200], "notices": result_notices[:200]},
    )
