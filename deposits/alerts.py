"""Alerts on deposits: one per fact (its key), ledgered when raised and when resolved."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from deposits.models import Alert
from ggzy import clock
from supervision import ledger
from trading.models import Section


def raise_alert(
    *,
    key: str,
    kind: str,
    message: str,
    section: Section | None = None,
    evidence: dict[str, Any] | None = None,
) -> tuple[Alert, bool]:
    """Raise the alert ``key`` unless it is already open; True if raised now. An alert about
    a section's deposits before its deadline is sealed with the section's bid events."""
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "section": section,
                "message": message,
                "evidence": evidence or {},
                "raised_at": clock.now(),
            },
        )
        if not created and (alert.evidence != (evidence or alert.evidence)):
            alert.evidence = evidence or {}
            alert.save(update_fields=["evidence"])
        if created:
            ledger.append(
                f"deposits.alert.{kind}",
                target=alert,
                data={"key": key, "message": message, "evidence": evidence or {}},
                embargo=section.embargo_scope if section else "",
            )
    return alert, created


def resolve(*, key: str) -> bool:
    """Mark the alert resolved (the fact no longer holds); True if it was open."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(key=key, resolved_at=None).first()
        if alert is None:
            return False
        alert.resolved_at = clock.now()
        alert.save(update_fields=["resolved_at"])
        ledger.append(
            f"deposits.alert.{alert.kind}_resolved",
            target=alert,
            data={"key": key},
            embargo=alert.section.embargo_scope if alert.section else "",
        )
    return True
