"""The evaluation's time event goes through the one chronograph: once the signing time is
over, members who neither signed nor wrote reasons are deemed to agree [R53]."""

from __future__ import annotations

from experts import evaluation
from trading import chronograph
from trading.models import SectionStatus

chronograph.register(
    chronograph.TimeEvent(
        "evaluation_signing_closed",
        SectionStatus.EVALUATION,
        evaluation.signing_due,
        evaluation.finish_unsigned,
    )
)
