"""Rules over more than one bid's content or more than one section: habitual co-bidders
across sections, and an expert whose scores deviate from the rest of the committee."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import combinations
from typing import Any

from accounts.models import Organisation
from bidding.models import Bid, BidStatus
from experts import report
from experts.models import Evaluation, EvaluationStatus
from ggzy import clock
from ggzy_core import evaluation as summary_rules
from realtime.models import BidOpening
from supervision.alerts.models import RuleCode
from supervision.alerts.rules.common import BID_ACTIONS, Finding
from supervision.alerts.thresholds import Thresholds
from supervision.models import LedgerEntry
from trading.models import Section, SectionStatus

# Sections whose bids are final: the deadline has passed and the section left bidding.
UNSEALED_STATUSES = [
    status
    for status in SectionStatus.values
    if status not in (SectionStatus.DRAFT, SectionStatus.PUBLISHED, SectionStatus.BIDDING)
]
# Evidence lists at most this many shared sections (the counts stay exact).
EVIDENCE_SECTIONS = 50


def unsealed_sections(*, since: dt.datetime | None = None) -> Any:
    """Sections whose bid deadline has passed and whose bids are final [E21, E27]."""
    sections = Section.objects.filter(bid_deadline__lte=clock.now(), status__in=UNSEALED_STATUSES)
    if since is not None:
        sections = sections.filter(bid_deadline__gte=since)
    return sections


def habitual_cobidders(thresholds: Thresholds) -> list[Finding]:
    """Two bidders who bid together in many sections, most of those either bids in: a
    rotation ring shares the work out. Only sections past their deadline are counted: a
    section still taking bids tells nobody who bid in it [E21]."""
    since = clock.now() - dt.timedelta(days=thresholds.cobid_lookback_days)
    sections = {section.pk: section for section in unsealed_sections(since=since)}
    bids = list(
        Bid.objects.filter(section_id__in=list(sections), status=BidStatus.RECEIVED)
        .select_related("organisation")
        .order_by("section_id", "organisation__credit_code")
    )
    bidders_of: dict[int, list[Organisation]] = defaultdict(list)
    sections_of: dict[int, set[int]] = defaultdict(set)
    organisations: dict[int, Organisation] = {}
    for bid in bids:
        bidders_of[bid.section_id].append(bid.organisation)
        sections_of[bid.organisation_id].add(bid.section_id)
        organisations[bid.organisation_id] = bid.organisation
    together: dict[tuple[int, int], list[int]] = defaultdict(list)
    for section_id, bidders in bidders_of.items():
        for first, second in combinations(sorted({o.pk for o in bidders}), 2):
            together[(first, second)].append(section_id)
    findings = []
    for (first, second), shared_ids in sorted(together.items()):
        fewer = min(len(sections_of[first]), len(sections_of[second]))
        share = Decimal(len(shared_ids)) / Decimal(fewer)
        if len(shared_ids) < thresholds.cobid_min_sections or share < thresholds.cobid_min_share:
            continue
        pair = sorted(
            (organisations[first], organisations[second]), key=lambda item: item.credit_code
        )
        listed = sorted(
            (sections[pk] for pk in shared_ids), key=lambda item: (item.bid_deadline, item.pk)
        )
        findings.append(_cobidding_finding(pair, listed, share, sections_of, thresholds))
    return findings


def _cobidding_finding(
    pair: list[Organisation],
    listed: list[Section],
    share: Decimal,
    sections_of: dict[int, set[int]],
    thresholds: Thresholds,
) -> Finding:
    shown = listed[-EVIDENCE_SECTIONS:]
    numbers = dict(
        BidOpening.objects.filter(
            bid__section__in=shown, bid__organisation__in=pair, bid__status=BidStatus.RECEIVED
        ).values_list("bid_id", "number")
    )
    bids = Bid.objects.filter(
        section__in=shown, organisation__in=pair, status=BidStatus.RECEIVED
    ).select_related("organisation", "section")
    return Finding(
        rule=RuleCode.HABITUAL_COBIDDERS,
        section=None,
        subjects=tuple(organisation.credit_code for organisation in pair),
        organisations=pair,
        sections=listed,
        summary=(
            f"{pair[0].name} 与 {pair[1].name} 在 {len(listed)} 个标段中共同投标 / "
            f"{pair[0].name} and {pair[1].name} bid together in {len(listed)} sections"
        ),
        evidence={
            "values": {
                "sections_together": len(listed),
                "sections_each": {
                    organisation.credit_code: len(sections_of[organisation.pk])
                    for organisation in pair
                },
                "share": f"{share:.2f}",
                "min_sections": thresholds.cobid_min_sections,
                "min_share": str(thresholds.cobid_min_share),
                "lookback_days": thresholds.cobid_lookback_days,
                "sections": [section.code for section in shown],
            },
            "bids": [
                {
                    "id": str(bid.pk),
                    "section": bid.section.code,
                    "number": numbers.get(bid.pk),
                    "organisation": bid.organisation.credit_code,
                    "name": bid.organisation.name,
                }
                for bid in bids
            ],
            "ledger": sorted(
                LedgerEntry.objects.filter(
                    action__in=BID_ACTIONS, target_id__in=[str(bid.pk) for bid in bids]
                ).values_list("sequence", flat=True)
            ),
        },
    )


def score_deviation(section: Section, thresholds: Thresholds) -> list[Finding]:
    """A committee member whose total for a bid is far from the other members' mean, once
    the leader concluded (scores are final then) [R49]. The member is named by seat number
    only: who sits on the committee is secret until the result is set [L37]."""
    evaluation = (
        Evaluation.objects.filter(
            section=section, status__in=[EvaluationStatus.SIGNING, EvaluationStatus.FINISHED]
        )
        .prefetch_related("criteria")
        .first()
    )
    if evaluation is None:
        return []
    summary = report.summarize(evaluation)
    criteria = [
        summary_rules.Criterion(maximum=item.maximum, weight=item.weight)
        for item in evaluation.criteria.order_by("order")
    ]
    highest = summary_rules.highest_total(criteria)
    bidders = {
        bid.number: bid.organisation for bid in evaluation.bids.select_related("organisation")
    }
    by_member: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for number, totals in sorted(summary.totals.items()):
        if number in summary.rejected:
            continue
        for member, value in sorted(totals.items()):
            others = [total for index, total in totals.items() if index != member]
            if not others:
                continue
            mean = sum(others, Decimal(0)) / len(others)
            scale = mean if evaluation.method == summary_rules.LOWEST_PRICE else highest
            if scale > 0 and abs(value - mean) > thresholds.score_deviation * scale:
                by_member[member].append(
                    {
                        "number": number,
                        "value": str(value),
                        "others_mean": f"{mean:.2f}",
                        "deviation": f"{abs(value - mean) / scale:.4f}",
                        "organisation": bidders[number].credit_code,
                    }
                )
    entries = LedgerEntry.objects.filter(
        target_type="experts.evaluation",
        target_id=str(evaluation.pk),
        action__in=["experts.evaluation.outlier", "experts.evaluation.concluded"],
    ).only("sequence", "action", "data")
    findings = []
    for member, deviations in sorted(by_member.items()):
        involved = sorted(
            {bidders[item["number"]] for item in deviations}, key=lambda item: item.credit_code
        )
        findings.append(
            Finding(
                rule=RuleCode.SCORE_DEVIATION,
                section=section,
                subjects=(f"member:{member}",),
                organisations=involved,
                summary=(
                    f"标段 {section.code}：第 {member + 1} 号评委对 {len(deviations)} 个投标的"
                    f"评分明显偏离其他评委 / Section {section.code}: committee member no. "
                    f"{member + 1} scored {len(deviations)} bids far from the other members"
                ),
                evidence={
                    "values": {
                        "member": member + 1,
                        "threshold": str(thresholds.score_deviation),
                        "method": evaluation.method,
                        "scores": deviations,
                    },
                    "bids": [
                        {"number": item["number"], "organisation": item["organisation"]}
                        for item in deviations
                    ],
                    "ledger": sorted(
                        entry.sequence
                        for entry in entries
                        if entry.action == "experts.evaluation.concluded"
                        or entry.data.get("member") == member
                    ),
                },
            )
        )
    return findings
