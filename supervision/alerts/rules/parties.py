"""Rules on who the bidders are and who paid for them: bidders under one legal
representative [R34, R51], one deposit payer account for several bidders [R40]."""

from __future__ import annotations

from collections import defaultdict

from deposits.models import Alert as DepositAlert
from deposits.models import BankLine, LineDirection
from supervision.alerts.models import RuleCode
from supervision.alerts.rules.common import (
    Finding,
    bid_ledger_sequences,
    bid_reference,
    counting_bids,
    distinct_organisations,
    names,
    opening_numbers,
    shared,
)
from supervision.alerts.thresholds import Thresholds
from supervision.models import LedgerEntry
from trading.models import Section


def same_legal_representative(section: Section, thresholds: Thresholds) -> list[Finding]:
    """Bidders in one section under one legal representative: their bids are invalid
    [R34, R51]. Compared by the SM3 digest of the representative's ID number, which no alert
    shows or keys on (a digest of an ID number is guessable): the alert is keyed by the
    bidders and shows the representative's name, a public fact of business registration."""
    bids = counting_bids(section)
    numbers = opening_numbers(section)
    findings = []
    for group in shared(bids, lambda bid: bid.organisation.legal_representative_id_digest).values():
        organisations = distinct_organisations(group)
        findings.append(
            Finding(
                rule=RuleCode.SAME_LEGAL_REPRESENTATIVE,
                section=section,
                subjects=tuple(organisation.credit_code for organisation in organisations),
                organisations=organisations,
                summary=(
                    f"标段 {section.code}：{names(organisations)} 的法定代表人为同一人 [R34] / "
                    f"Section {section.code}: {len(organisations)} bidders have one legal "
                    f"representative [R34]"
                ),
                evidence={
                    "values": {
                        "legal_representatives": sorted(
                            {organisation.legal_representative for organisation in organisations}
                        )
                    },
                    "bids": [bid_reference(bid, numbers) for bid in group],
                    "ledger": bid_ledger_sequences(group),
                },
            )
        )
    return findings


def same_deposit_payer(section: Section, thresholds: Thresholds) -> list[Finding]:
    """One payer account paying the deposits of several bidders in a section is deemed
    collusion [R40]. Known as the money arrives, but raised only after the deadline (the
    runner's guard): raised earlier it would tell that both mean to bid [E21]. Every bidder
    who paid counts, whether or not it then bid (paying is the act the rule names)."""
    lines = list(
        BankLine.objects.filter(
            section=section, direction=LineDirection.CREDIT, bidder__isnull=False
        )
        .select_related("bidder")
        .order_by("booked_at", "pk")
    )
    by_payer: dict[str, list[BankLine]] = defaultdict(list)
    for line in lines:
        by_payer[line.counterparty_account].append(line)
    bids = {bid.organisation_id: bid for bid in counting_bids(section)}
    numbers = opening_numbers(section)
    findings = []
    for payer, paid in sorted(by_payer.items()):
        bidders = {line.bidder_id: line.bidder for line in paid if line.bidder is not None}
        if len(bidders) < 2:
            continue
        organisations = sorted(bidders.values(), key=lambda organisation: organisation.credit_code)
        references = {line.reference for line in paid}
        sequences = [
            entry.sequence
            for entry in LedgerEntry.objects.filter(
                action="deposits.money.received",
                target_type="trading.section",
                target_id=str(section.pk),
            ).only("sequence", "data")
            if references & set(str(entry.data.get("references", "")).split())
        ]
        staff_alerts = [
            str(pk)
            for pk in DepositAlert.objects.filter(
                key=f"shared_payer:{section.pk}:{payer}"
            ).values_list("pk", flat=True)
        ]
        sequences += list(
            LedgerEntry.objects.filter(
                action="deposits.alert.shared_payer", target_id__in=staff_alerts
            ).values_list("sequence", flat=True)
        )
        findings.append(
            Finding(
                rule=RuleCode.SAME_DEPOSIT_PAYER,
                section=section,
                subjects=(payer,),
                organisations=organisations,
                summary=(
                    f"标段 {section.code}：同一付款账户为 {names(organisations)} 缴纳保证金 "
                    f"[R40] / Section {section.code}: one payer account paid the deposits of "
                    f"{len(organisations)} bidders [R40]"
                ),
                evidence={
                    "values": {
                        "payer_account": payer,
                        "lines": [
                            {
                                "reference": line.reference,
                                "organisation": line.bidder.credit_code if line.bidder else "",
                                "amount": str(line.amount),
                                "booked_at": line.booked_at.isoformat(),
                            }
                            for line in paid
                        ],
                    },
                    "bids": [
                        bid_reference(bids[organisation.pk], numbers)
                        for organisation in organisations
                        if organisation.pk in bids
                    ],
                    "ledger": sorted(set(sequences)),
                },
            )
        )
    return findings
