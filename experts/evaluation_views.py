"""The evaluation's pages: the member's workspace (bids, watermarked files, scores,
rejections, clarifications, leader, time, the report to sign), the staff's opening form and
live progress, the expert's signing key, and the bidder's answers to clarifications [R52].

Experts reach the workspace only past the second factor; the tenderee's representatives sign
in as usual. Every page asks experts.access first; every action is one service call."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import credit
from accounts.models import Person, Role
from accounts.second_factor import verified_expert_required
from experts import access, profile, progress, report, scoring, watermark
from experts import evaluation as evaluations
from experts.forms import (
    EvaluationOpenForm,
    QueryAnswerForm,
    RelationshipForm,
    SigningKeyForm,
    UnavailableForm,
    criteria_of,
)
from experts.models import Draw, Evaluation, EvaluationStatus, Member, RejectionGround, Score
from ggzy import beijing_time, clock, http
from ggzy.errors import DomainError
from ggzy_core.gm.envelope import sheet
from supervision import ledger

LIST_LIMIT = 100
FILE_MAX_BYTES = 256 * 1024 * 1024


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # nosec B101 # type narrowing; login is required before
    return request.user


def committee_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Experts pass the second factor; everyone else (representatives, staff, regulators)
    signs in as usual. Whether they may see this evaluation is experts.access's question."""
    expert_view = verified_expert_required(cast(Callable[..., HttpResponse], view))
    plain_view = login_required(view)

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and getattr(request.user, "role", "") == Role.EXPERT:
            return expert_view(request, *args, **kwargs)
        return plain_view(request, *args, **kwargs)

    return guarded


@committee_page
@require_safe
def my_evaluations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "experts/evaluations.html",
        {"evaluations": access.evaluations_of(request.user)[:LIST_LIMIT]},
    )


def _workspace(evaluation: Evaluation, member: Member) -> dict[str, Any]:
    criteria = list(evaluation.criteria.order_by("order"))
    mine: dict[tuple[int, int], Score] = {
        (score.bid_id, score.criterion_id): score for score in member.scores.all()
    }
    rejected = {rejection.bid_id: rejection for rejection in member.rejections.all()}
    evaluated = list(evaluation.bids.order_by("number").select_related("organisation"))
    # The bidders' credit records in force today: the committee weighs them when it checks
    # the qualifications [R51(3)] (docs/credit.md); members see them, nobody edits them here.
    records = credit.in_force_of_organisations({bid.organisation_id for bid in evaluated})
    labels = {item.name: item.label(get_language() or "zh") for item in sheet.ITEMS}
    bids = []
    for bid in evaluated:
        bids.append(
            {
                "bid": bid,
                # Stored as opened/<section>/<bid>/<name in the bid>: members read the last.
                "files": [(index, name.split("/", 3)[-1]) for index, name in enumerate(bid.files)],
                "sheet": [
                    (labels.get(item, item), value)
                    for item, value in (bid.sheet or {}).items()
                    if item != "price"
                ],
                "rows": [(item, mine.get((bid.pk, item.pk))) for item in criteria],
                "rejection": rejected.get(bid.pk),
                "queries": bid.queries.order_by("asked_at"),
                "credit": records.get(bid.organisation_id, []),
            }
        )
    return {
        "criteria": criteria,
        "bids": bids,
        "grounds": RejectionGround.choices,
        "members": evaluation.members.order_by("order"),
        "is_leader": evaluation.leader_id == member.pk,
    }


@committee_page
@require_safe
def evaluation_page(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, member = access.evaluation_for(request.user, pk)
    context: dict[str, Any] = {
        "evaluation": evaluation,
        "section": evaluation.section,
        "member": member,
        "progress": progress.snapshot(evaluation),
        "report_sm3": evaluation.report_sm3,
        "signing": evaluation.status == EvaluationStatus.SIGNING,
        "finished": evaluation.status == EvaluationStatus.FINISHED,
    }
    if member is not None:
        context.update(_workspace(evaluation, member))
    return render(request, "experts/evaluation.html", context)


def _act(request: HttpRequest, evaluation: Evaluation, member: Member) -> str:
    """One action of the member's form; returns what to tell them."""
    action = request.POST.get("action", "")
    person = _person(request)
    bid = _bid_id(request)
    if action == "score":
        values = {
            int(key.removeprefix("criterion-")): str(value)
            for key, value in request.POST.items()
            if key.startswith("criterion-") and key.removeprefix("criterion-").isdigit()
        }
        scoring.score_set(evaluation=evaluation, actor=person, bid=bid, values=values)
        return _("Scores saved.")
    if action == "reject":
        scoring.bid_reject(
            evaluation=evaluation,
            actor=person,
            bid=bid,
            ground=request.POST.get("ground", ""),
            reason=request.POST.get("reason", ""),
        )
        return _("Your rejection of the bid and its reason are recorded.")
    if action == "unreject":
        scoring.rejection_withdraw(evaluation=evaluation, actor=person, bid=bid)
        return _("Rejection withdrawn: score the bid.")
    if action == "ask":
        scoring.query_ask(
            evaluation=evaluation, actor=person, bid=bid, question=request.POST.get("question", "")
        )
        return _("The clarification request was sent to the bidder.")
    if action == "submit":
        scoring.scores_submit(evaluation=evaluation, actor=person)
        return _("Your scores are submitted. Changing one takes the submission back.")
    if action == "vote":
        candidate = evaluation.members.filter(pk=_int(request.POST.get("candidate"))).first()
        if candidate is None:
            raise DomainError(
                "请选择一名委员会成员 / Choose a member of the committee", code="invalid"
            )
        elected = evaluations.leader_vote(evaluation=evaluation, actor=person, candidate=candidate)
        return _("The committee elected its leader.") if elected else _("Your vote is recorded.")
    if action in ("time_short", "time_enough"):
        extended = evaluations.time_short_say(
            evaluation=evaluation, actor=person, short=action == "time_short"
        )
        return (
            _("More than a third said the time is short: the evaluation is extended [R48].")
            if extended
            else _("Recorded.")
        )
    if action == "conclude":
        evaluations.conclude(evaluation=evaluation, actor=person)
        return _("Concluded: every member now signs the report.")
    if action == "sign":
        evaluations.report_sign(
            evaluation=evaluation,
            actor=person,
            agrees=request.POST.get("agrees") == "yes",
            dissent=request.POST.get("dissent", ""),
            signature=_hex(request.POST.get("signature", "")),
        )
        return _("Your signature is recorded.")
    raise DomainError("未知的操作 / Unknown action", code="invalid")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _bid_id(request: HttpRequest) -> int:
    return _int(request.POST.get("bid"))


def _hex(value: str) -> bytes:
    try:
        return bytes.fromhex(value.strip()[:400])
    except ValueError:
        return b""


@committee_page
@require_POST
def evaluation_act(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation, member = access.member_for(request.user, pk)
    try:
        done = _act(request, evaluation, member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    anchor = f"#bid-{_bid_id(request)}" if request.POST.get("bid") else ""
    return redirect(f"{request.path.removesuffix('act/')}{anchor}")


@committee_page
@require_safe
def bid_file(request: HttpRequest, pk: int, number: int, index: int) -> HttpResponseBase:
    """A decrypted bid file for a member, stamped with their name; each download ledgered."""
    evaluation, member = access.member_for(request.user, pk)
    bid = evaluation.bids.filter(number=number).first()
    if bid is None or not 0 <= index < len(bid.files):
        raise Http404
    name = bid.files[index]
    with default_storage.open(name, "rb") as handle:
        data = handle.read(FILE_MAX_BYTES + 1)
    if len(data) > FILE_MAX_BYTES:
        raise Http404
    when, _ = beijing_time.both(clock.now())  # Beijing time with the zone, as pages write it
    stamp = f"{member.name} · {evaluation.section.code} · {when}"
    filename, body = watermark.marked(name, data, stamp, who=member.name)
    ledger.append(
        "experts.evaluation.file_viewed",
        actor=_person(request),
        target=evaluation,
        data={"member": member.order, "bid": number, "file": index},
        address=http.client_address(request.META),
    )
    response = FileResponse(io.BytesIO(body), as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


@committee_page
@require_safe
def report_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The concluded report: canonical JSON (what members sign), the signatures, the PDF."""
    evaluation, member = access.evaluation_for(request.user, pk)
    if evaluation.report_json is None:
        raise Http404
    if member is None and evaluation.status != EvaluationStatus.FINISHED:
        # The report names the members: before the result is set, every reading by staff
        # or a regulator is ledgered, as on the draw page [L37].
        ledger.append(
            "experts.evaluation.report_viewed",
            actor=_person(request),
            target=evaluation,
            data={"members": evaluation.members.count()},
        )
    kind = request.GET.get("format", "json")
    if kind == "signatures":
        return JsonResponse(
            {"report_sm3": evaluation.report_sm3, "signatures": report.signatures(evaluation)}
        )
    if kind == "pdf":
        if not evaluation.report_pdf:
            report.build_report_pdf(evaluation.pk)  # the worker was late: build it now
            evaluation.refresh_from_db()
        if not evaluation.report_pdf:
            raise Http404
        return FileResponse(
            evaluation.report_pdf.open("rb"),
            filename=f"{evaluation.section.code}-evaluation-report.pdf",
        )
    response = HttpResponse(
        bytes(evaluation.report_json), content_type="application/json; charset=utf-8"
    )
    response["Ggzy-Report-SM3"] = evaluation.report_sm3
    return response


@login_required
def evaluation_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff open the evaluation of a drawn committee."""
    draw: Draw = access.draw_for(request.user, pk, manage=True)
    existing = Evaluation.objects.filter(draw=draw).first()
    if existing is not None:
        return redirect("experts:evaluation", pk=existing.pk)
    form = EvaluationOpenForm(request.POST or None, draw=draw)
    if request.method == "POST" and form.is_valid():
        try:
            opened = evaluations.evaluation_open(
                draw=draw,
                actor=_person(request),
                hours=form.cleaned_data["hours"],
                criteria=criteria_of(form.cleaned_data["criteria"]),
                representatives=list(form.cleaned_data["representatives"]),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The evaluation is open: the members can score."))
            return redirect("experts:evaluation", pk=opened.pk)
    return render(
        request,
        "experts/evaluation_open.html",
        {"draw": draw, "section": draw.section, "form": form},
    )


@verified_expert_required
def signing_key(request: HttpRequest) -> HttpResponse:
    """The expert registers the SM2 public key they sign reports with."""
    person = _person(request)
    form = SigningKeyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            fingerprint = evaluations.expert_key_bind(person=person, public_key_pem=form.pem())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Signing key registered: %(fingerprint)s") % {"fingerprint": fingerprint}
            )
            return redirect("experts:signing_key")
    expert = getattr(person, "expert", None)
    return render(request, "experts/signing_key.html", {"form": form, "expert": expert})


@verified_expert_required
def my_profile(request: HttpRequest) -> HttpResponse:
    """The expert's library record, the days they cannot serve, the ties they declared."""
    person = _person(request)
    try:
        expert = profile.expert_of(person)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    unavailable = UnavailableForm(prefix="unavailable")
    tie = RelationshipForm(prefix="tie")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "unavailable":
                unavailable = UnavailableForm(request.POST, prefix="unavailable")
                if unavailable.is_valid():
                    profile.unavailable_add(person=person, **unavailable.cleaned_data)
                    messages.success(request, _("Recorded: you will not be drawn on those days."))
                    return redirect("experts:my_profile")
            elif action == "available":
                profile.unavailable_remove(person=person, pk=_int(request.POST.get("pk")))
                messages.success(request, _("Removed: you may be drawn on those days again."))
                return redirect("experts:my_profile")
            elif action == "tie":
                tie = RelationshipForm(request.POST, prefix="tie")
                if tie.is_valid():
                    profile.relationship_declare(person=person, **tie.cleaned_data)
                    messages.success(
                        request,
                        _("Declared: you will not be drawn for that organisation's sections."),
                    )
                    return redirect("experts:my_profile")
        except DomainError as exc:
            messages.error(request, exc.message)
    context = {
        "expert": expert,
        "specialties": expert.specialties.order_by("code"),
        "periods": expert.unavailable.filter(ends_on__gte=clock.now().date()).order_by("starts_on"),
        "ties": expert.relationships.order_by("-pk"),
        "unavailable": unavailable,
        "tie": tie,
    }
    return render(request, "experts/profile.html", context)


@login_required
@require_safe
def my_queries(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", "") != Role.BIDDER or _person(request).organisation_id is None:
        raise PermissionDenied(
            "此页面列出评标委员会向本单位提出的澄清 / This page lists the clarifications the "
            "committee asked of your organisation"
        )
    return render(
        request,
        "experts/queries.html",
        {"queries": access.queries_of(request.user)[:LIST_LIMIT], "form": QueryAnswerForm()},
    )


@login_required
@require_POST
def query_answer(request: HttpRequest, pk: int) -> HttpResponse:
    query = access.query_for(request.user, pk)
    form = QueryAnswerForm(request.POST)
    if form.is_valid():
        try:
            scoring.query_answer(
                query=query, actor=_person(request), answer=form.cleaned_data["answer"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your answer was sent to the committee."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("experts:my_queries")
