"""The hall's stages as a table, and the guards the host's moves must pass."""

from __future__ import annotations

from realtime.models import HallStage

S = HallStage

# Which stage the host's "next" moves to.
NEXT: dict[str, str] = {
    S.SIGN_IN: S.BIDDERS,
    S.BIDDERS: S.DECRYPTION,
    S.DECRYPTION: S.READING,
    S.READING: S.CONFIRMATION,
    S.CONFIRMATION: S.OBJECTIONS,
    S.OBJECTIONS: S.CLOSED,
}
# Stages with a window that the chronograph closes by itself when it runs out.
TIMED = frozenset({S.DECRYPTION, S.CONFIRMATION})
# Stages in which bidders may raise objections [R44].
OBJECTIONS_OPEN = frozenset({S.READING, S.CONFIRMATION, S.OBJECTIONS})
