"""The evaluation report: canonical JSON (what members sign and the ledger's SM3 names) and,
after the result is set, a PDF for people (``experts.report_pdf``).

The JSON carries everything the ranking follows from — criteria, each member's points, the
rejections and their grounds — so anyone recomputes it with ``ggzy_core.evaluation``. The
members' signatures are kept beside it (they sign its SM3), not inside it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction

from experts.models import Evaluation, EvaluationStatus, Query, Rejection, Score
from ggzy_core import evaluation as summary_rules
from ggzy_core.canonical import canonical

log = logging.getLogger(__name__)


def summarize(evaluation: Evaluation) -> summary_rules.Summary:
    """The summary of the scores as they stand (the leader's conclusion fixes it)."""
    criteria = list(evaluation.criteria.order_by("order"))
    members = {member.pk: member.order for member in evaluation.members.all()}
    points: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    for score in Score.objects.filter(member__evaluation=evaluation).select_related("criterion"):
        points[(score.bid_id, members[score.member_id])][score.criterion.order] = score.value
    rejected: dict[int, set[int]] = defaultdict(set)
    for rejection in Rejection.objects.filter(member__evaluation=evaluation):
        rejected[rejection.bid_id].add(members[rejection.member_id])
    bids = []
    for bid in evaluation.bids.order_by("number"):
        scores = {
            member: [values[item.order] for item in criteria]
            for (bid_id, member), values in points.items()
            if bid_id == bid.pk and member not in rejected[bid.pk] and len(values) == len(criteria)
        }
        bids.append(
            summary_rules.Bid(
                number=bid.number,
                price=bid.price,
                scores=scores,
                rejected_by=frozenset(rejected[bid.pk]),
            )
        )
    return summary_rules.summarize(
        method=evaluation.method,
        criteria=[
            summary_rules.Criterion(maximum=item.maximum, weight=item.weight) for item in criteria
        ],
        members=len(members),
        bids=bids,
    )


def build(
    evaluation: Evaluation, *, concluded_at: Any
) -> tuple[dict[str, Any], summary_rules.Summary]:
    summary = summarize(evaluation)
    section = evaluation.section
    members = list(evaluation.members.order_by("order"))
    leader = next((m.order for m in members if m.pk == evaluation.leader_id), None)
    rejections: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rejection in (
        Rejection.objects.filter(member__evaluation=evaluation)
        .select_related("member")
        .order_by("member__order")
    ):
        rejections[rejection.bid_id].append(
            {
                "member": rejection.member.order,
                "ground": rejection.ground,
                "reason": rejection.reason,
            }
        )
    queries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for query in Query.objects.filter(evaluation=evaluation).select_related("asked_by"):
        queries[query.bid_id].append(
            {
                "asked_by": query.asked_by.order,
                "question": query.question,
                "answer": query.answer,
                "answered_at": query.answered_at.isoformat() if query.answered_at else None,
            }
        )
    bids = []
    for bid in evaluation.bids.order_by("number").select_related("organisation"):
        totals = summary.totals.get(bid.number, {})
        result = summary.results.get(bid.number)
        bids.append(
            {
                "number": bid.number,
                "bidder": bid.organisation.name,
                "credit_code": bid.organisation.credit_code,
                "price": str(bid.price) if bid.price is not None else None,
                "totals": {str(member): str(total) for member, total in sorted(totals.items())},
                "result": str(result) if result is not None else None,
                "rejected": bid.number in summary.rejected,
                "rejections": rejections.get(bid.pk, []),
                "clarifications": queries.get(bid.pk, []),
            }
        )
    points = [
        {
            "member": score.member.order,
            "bid": score.bid.number,
            "criterion": score.criterion.order,
            "value": str(score.value),
        }
        for score in Score.objects.filter(member__evaluation=evaluation)
        .select_related("member", "bid", "criterion")
        .order_by("member__order", "bid__number", "criterion__order")
    ]
    content = {
        "format": summary_rules.REPORT_FORMAT,
        "section": {"code": section.code, "name": section.name},
        "method": evaluation.method,
        "criteria": [
            {
                "order": item.order,
                "name": item.name,
                "maximum": str(item.maximum) if item.maximum is not None else None,
                "weight": str(item.weight),
            }
            for item in evaluation.criteria.order_by("order")
        ],
        "members": [
            {
                "order": member.order,
                "name": member.name,
                "kind": member.kind,
                "leader": member.order == leader,
            }
            for member in members
        ],
        "bids": bids,
        "points": points,
        "ranking": summary.ranking,
        "candidates": summary.candidates,
        "outliers": [
            {
                "member": item.member,
                "bid": item.bid,
                "value": str(item.value),
                "others": str(item.others),
            }
            for item in summary.outliers
        ],
        "opened_at": evaluation.opened_at.isoformat(),
        "extensions": evaluation.extensions,
        "concluded_at": concluded_at.isoformat(),
    }
    return content, summary


def encode(content: dict[str, Any]) -> bytes:
    return canonical(content)


def digest(content: dict[str, Any]) -> str:
    return summary_rules.report_digest(content)


def decode(evaluation: Evaluation) -> dict[str, Any]:
    if evaluation.report_json is None:
        return {}
    loaded: dict[str, Any] = json.loads(bytes(evaluation.report_json))
    return loaded


def signatures(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Each member's answer to the report: signed (agreeing or with written reasons), or
    deemed to agree [R53]. Published beside the JSON."""
    return [
        {
            "member": member.order,
            "kind": member.kind,
            "agrees": bool(member.agrees),
            "dissent": member.dissent,
            "signature": base64.b64encode(bytes(member.signature)).decode("ascii")
            if member.signature is not None
            else None,
            "key": member.key_fingerprint,
            "signed_at": member.signed_at.isoformat() if member.signed_at else None,
            "deemed_agreed": member.deemed_agreed,
        }
        for member in evaluation.members.order_by("order")
    ]


@shared_task(name="experts.tasks.build_report_pdf")
def build_report_pdf(evaluation_id: int) -> str:
    """Render and store the report's PDF (outside any lock; safe to run twice)."""
    from experts.report_pdf import render  # reportlab loads in the worker, not every process

    evaluation = Evaluation.objects.select_related("section").get(pk=evaluation_id)
    if evaluation.status != EvaluationStatus.FINISHED:
        return "open"
    if evaluation.report_pdf:
        return "done"
    pdf = render(decode(evaluation), signatures(evaluation), report_sm3=evaluation.report_sm3)
    name = f"{evaluation.section.code}-evaluation-report.pdf"
    with transaction.atomic():
        current = Evaluation.objects.select_for_update().get(pk=evaluation_id)
        if current.report_pdf:
            return "done"
        current.report_pdf.save(name, ContentFile(pdf), save=False)
        current.save(update_fields=["report_pdf"])
    return "built"


def build_pdf_later(evaluation_id: int) -> None:
    try:
        build_report_pdf.delay(evaluation_id)
    except Exception:  # the page builds it on first request if the broker is down
        log.warning("evaluation %s: report PDF not queued", evaluation_id)
