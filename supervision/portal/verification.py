"""The portal's "verify" button: the same check as ``manage.py verify_ledger`` (the SM3
chain from the first entry and every signed checkpoint against the platform key), its
outcome ledgered so the next regulator sees when the chain was last checked and by whom.

The outcome shown counts checkpoints, not entries: the number of entries would count those
still under embargo, and so the bids [E21]."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ggzy import signing
from supervision import ledger
from supervision.models import LedgerCheckpoint, LedgerEntry

ACTION = "supervision.ledger.verified"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    checkpoints: int
    last_checkpoint_at: dt.datetime | None
    reason: str
    key_fingerprint: str


def run(*, reader: Any) -> Outcome:
    verdict = ledger.verify()
    last = LedgerCheckpoint.objects.order_by("-sequence").first()
    hidden = ledger.first_hidden()
    reason = verdict.reason
    if verdict.broken_sequence is not None and (hidden is None or verdict.broken_sequence < hidden):
        reason = f"#{verdict.broken_sequence}: {reason}"
    outcome = Outcome(
        ok=verdict.ok,
        checkpoints=verdict.checkpoints,
        last_checkpoint_at=last.signed_at if last else None,
        reason=reason,
        key_fingerprint=signing.platform_public_key().fingerprint(),
    )
    ledger.append(
        ACTION,
        actor=reader,
        data={"ok": outcome.ok, "checkpoints": outcome.checkpoints, "reason": outcome.reason},
    )
    return outcome


def last_run() -> LedgerEntry | None:
    return ledger.visible().filter(action=ACTION).order_by("-sequence").first()
