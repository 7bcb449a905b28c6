"""Live progress of an evaluation for staff and regulators, over the hall's stream pattern:
each change bumps the evaluation's sequence and, after commit, broadcasts the whole progress
snapshot (small: counts per member) with that sequence; a client (re)connecting gets the same
snapshot first, so a missed message is mended by the next one. No score, rejection or name is
in it: staff watch the pace, not the marks.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count

from experts.models import Evaluation, Score
from ggzy import clock

log = logging.getLogger(__name__)


def group_name(evaluation_id: int) -> str:
    return f"evaluation-{evaluation_id}"


def snapshot(evaluation: Evaluation) -> dict[str, Any]:
    members = list(evaluation.members.order_by("order"))
    bids = evaluation.bids.count()
    criteria = evaluation.criteria.count()
    scored = {
        row["member_id"]: row["n"]
        for row in Score.objects.filter(member__evaluation=evaluation)
        .values("member_id")
        .annotate(n=Count("id"))
    }
    return {
        "type": "progress",
        "sequence": evaluation.sequence,
        "status": evaluation.status,
        "due_at": clock.epoch_ms(evaluation.due_at),
        "signing_due": clock.epoch_ms(evaluation.signing_due) if evaluation.signing_due else None,
        "extensions": evaluation.extensions,
        "leader": next(
            (member.order for member in members if member.pk == evaluation.leader_id), None
        ),
        "needed": bids * criteria,
        "members": [
            {
                "order": member.order,
                "scored": scored.get(member.pk, 0),
                "submitted": member.submitted_at is not None,
                "time_short": member.time_short,
                "voted": member.vote_id is not None,
                "signed": member.signed_at is not None or member.deemed_agreed,
            }
            for member in members
        ],
    }


def changed(evaluation: Evaluation) -> None:
    """Bump the sequence (the caller holds the evaluation's row lock) and broadcast the
    snapshot after commit."""
    evaluation.sequence += 1
    Evaluation.objects.filter(pk=evaluation.pk).update(sequence=evaluation.sequence)
    evaluation_id = evaluation.pk
    transaction.on_commit(lambda: broadcast(evaluation_id))


def broadcast(evaluation_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        message = snapshot(Evaluation.objects.get(pk=evaluation_id))
        async_to_sync(layer.group_send)(
            group_name(evaluation_id), {"type": "progress.changed", "message": message}
        )
    except Exception:  # a broadcast lost is mended by the next one or a reconnect
        log.warning("evaluation %s: progress broadcast failed", evaluation_id)
