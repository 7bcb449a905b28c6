"""Running the rules and keeping their findings as alerts, once each.

A rule about a section runs only once its bid deadline has passed and it left bidding
[E21, E27]: before then nothing here reads its bids, raises an alert or writes a ledger entry,
so no page, count or ledger entry changes because somebody bid. A finding is kept under its
fingerprint (rule, section, subjects): a rerun finds the alert again (a unique constraint,
safe under concurrent runs on PostgreSQL) and may bring it new evidence.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.canonical import canonical
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from supervision.alerts.models import Alert
from supervision.alerts.rules import CROSS_SECTION_RULES, SECTION_RULES, Finding
from supervision.alerts.rules.crowd import UNSEALED_STATUSES, unsealed_sections
from supervision.alerts.thresholds import Thresholds, current
from trading.models import Section

log = logging.getLogger(__name__)


def is_unsealed(section: Section) -> bool:
    """The section's bids are final and may be compared: its deadline has passed and it is
    no longer taking bids [E21, E27]."""
    return clock.now() >= section.bid_deadline and section.status in UNSEALED_STATUSES


def fingerprint(rule: str, section: Section | None, subjects: Iterable[str]) -> str:
    """One alert per rule, section and subjects, however often the rules run."""
    return sm3_hex(
        canonical(
            {
                "rule": str(rule),
                "section": section.pk if section else None,
                "subjects": [str(item) for item in subjects],
            }
        )
    )


def run_section(
    *, section: Section, thresholds: Thresholds | None = None, rules: Iterable[str] | None = None
) -> list[Alert]:
    """Run the section's rules (all, or the ``rules`` named) and keep what they find; the
    alerts raised now or given new evidence. Refused before the deadline [E21]."""
    section = Section.objects.select_related("project").get(pk=section.pk)
    if not is_unsealed(section):
        raise DomainError(
            f"标段 {section.code} 尚未截止投标，不能检查投标：请在投标截止后再运行 / Section "
            f"{section.code} is still before its bid deadline: run the rules after the "
            f"deadline",
            code="too_early",
            field="section",
        )
    limits = thresholds or current()
    wanted = list(rules) if rules is not None else list(SECTION_RULES)
    changed = []
    for rule in wanted:
        for finding in SECTION_RULES[rule](section, limits):
            alert, touched = record(finding)
            if touched:
                changed.append(alert)
    return changed


def run_cross_section(*, thresholds: Thresholds | None = None) -> list[Alert]:
    """The rules over many sections (habitual co-bidders); they read only sections past
    their deadline."""
    limits = thresholds or current()
    changed = []
    for rule in CROSS_SECTION_RULES.values():
        for finding in rule(limits):
            alert, touched = record(finding)
            if touched:
                changed.append(alert)
    return changed


def sweep(*, thresholds: Thresholds | None = None) -> int:
    """The schedule's run: every section whose deadline passed in the last ``sweep_days``,
    then the cross-section rules. Idempotent; returns how many alerts changed."""
    limits = thresholds or current()
    since = clock.now() - dt.timedelta(days=limits.sweep_days)
    changed = 0
    for section in unsealed_sections(since=since).order_by("bid_deadline", "pk"):
        changed += len(run_section(section=section, thresholds=limits))
    changed += len(run_cross_section(thresholds=limits))
    return changed


def run_section_if_unsealed(section_id: int) -> int:
    """For the event receiver's task: skip (not refuse) a section still before its deadline
    (a section cancelled while taking bids leaves bidding early)."""
    section = Section.objects.filter(pk=section_id).first()
    if section is None or not is_unsealed(section):
        return 0
    return len(run_section(section=section))


def record(finding: Finding) -> tuple[Alert, bool]:
    """Keep ``finding`` as an alert: raise it (ledgered) or, when it is known, bring it the
    new evidence (ledgered). True when something changed."""
    key = fingerprint(finding.rule, finding.section, finding.subjects)
    sections = finding.all_sections()
    for section in sections:  # the second barrier: never about a section still sealed
        if not is_unsealed(section):
            raise DomainError(
                f"标段 {section.code} 尚未截止投标 / Section {section.code} is still before its "
                f"bid deadline: its bids cannot be compared yet",
                code="too_early",
            )
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            fingerprint=key,
            defaults={
                "rule": finding.rule,
                "section": finding.section,
                "summary": finding.summary[:2000],
                "evidence": finding.evidence,
                "raised_at": clock.now(),
            },
        )
        if created:
            alert.sections.set(sections)
            alert.organisations.set(finding.organisations)
            _ledger(alert, "alerts.alert.raised", finding)
            return alert, True
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if _jsonable(finding.evidence) == alert.evidence:
            return alert, False
        alert.evidence = finding.evidence
        alert.summary = finding.summary[:2000]
        alert.evidence_updated_at = clock.now()
        alert.save(update_fields=["evidence", "summary", "evidence_updated_at"])
        alert.sections.add(*sections)
        alert.organisations.add(*finding.organisations)
        _ledger(alert, "alerts.alert.evidence_added", finding)
        return alert, True


def _jsonable(value: Any) -> Any:
    """The evidence as the JSON column gives it back (tuples become lists)."""
    return json.loads(json.dumps(value))


def _ledger(alert: Alert, action: str, finding: Finding) -> None:
    """What the ledger keeps of an alert: the rule, where, whom, which entries it rests on
    and the SM3 of its evidence; not the compared values (addresses, accounts, prices stay
    on the alert, behind its access rules) and never a digest of an ID number."""
    evidence = _jsonable(finding.evidence)
    ledger.append(
        action,
        actor=ledger.SYSTEM,
        target=alert,
        data={
            "alert": alert.pk,
            "rule": str(finding.rule),
            "section": finding.section.code if finding.section else None,
            "sections": [section.code for section in finding.all_sections()],
            "organisations": [organisation.credit_code for organisation in finding.organisations],
            "evidence_ledger": list(evidence.get("ledger", [])),
            "evidence_sm3": sm3_hex(canonical(evidence)),
        },
        # Lifted already (the deadline has passed): a second barrier should the rules ever
        # run early.
        embargo=finding.section.embargo_scope if finding.section else "",
    )
