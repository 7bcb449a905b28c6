"""Candidate publicity (中标候选人公示) [R54]: the committee's ranked candidates, signed by
the platform, public from the moment the result is set, for ``settings.PUBLICITY_PERIOD``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from award import documents
from award.models import Publicity
from experts import report
from experts.models import Evaluation
from ggzy import clock
from ggzy.errors import DomainError
from supervision import ledger
from trading.models import Section, SectionStatus


def candidates_of(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The report's ranked candidates [R53] with what was read out for each at the opening."""
    numbers = list(report.decode(evaluation).get("candidates", []))
    bids = {bid.number: bid for bid in evaluation.bids.select_related("organisation")}
    return [
        {
            "rank": rank,
            "number": number,
            "organisation_id": bids[number].organisation_id,
            "bidder": bids[number].organisation.name,
            "credit_code": bids[number].organisation.credit_code,
            "price": None if bids[number].price is None else f"{bids[number].price:.2f}",
            "terms": bids[number].sheet,
        }
        for rank, number in enumerate(numbers, start=1)
    ]


def publicity_start(*, section: Section, actor: Any) -> Publicity:
    """Called inside the transaction that moved the locked section to PUBLICITY: the
    candidates are publicized at once (within 3 days of the report), for ≥ 3 days [R54]."""
    if section.status != SectionStatus.PUBLICITY:
        raise DomainError(
            "标段未进入公示阶段，不能公示中标候选人 [R54] / The section is not in publicity: "
            "the candidates are publicized once the evaluation report is signed [R54]",
            code="conflict",
        )
    existing = Publicity.objects.filter(section=section).first()
    if existing is not None:
        return existing  # a repeated signal is harmless
    evaluation = Evaluation.objects.get(section=section)
    candidates = candidates_of(evaluation)
    now = clock.now()
    ends_at = now + settings.PUBLICITY_PERIOD
    project = section.project
    signed = documents.sign(
        "publicity",
        {
            "section": {"code": section.code, "name": section.name},
            "project": {"code": project.code, "name": project.name},
            "tenderee": project.tenderee.name,
            "report_sm3": evaluation.report_sm3,
            "candidates": [
                {key: item[key] for key in ("rank", "number", "bidder", "credit_code", "price")}
                | {"terms": item["terms"]}
                for item in candidates
            ],
            "starts_at": now.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    publicity = Publicity.objects.create(
        section=section,
        report_sm3=evaluation.report_sm3,
        candidates=candidates,
        starts_at=now,
        ends_at=ends_at,
        **signed,
    )
    ledger.append(
        "award.publicity.started",
        actor=actor,
        target=section,
        data={
            "content_sm3": publicity.content_sm3,
            "report_sm3": publicity.report_sm3,
            "candidates": [
                {key: item[key] for key in ("rank", "number", "credit_code", "price")}
                for item in candidates
            ],
            "ends_at": ends_at,
        },
    )
    return publicity


def is_open(publicity: Publicity) -> bool:
    return clock.now() < publicity.ends_at
