"""The opening key ceremony: a dealer-free generation of a section's opening key.

Pedersen's distributed key generation (joint Feldman VSS, ``ggzy_core.gm.dkg``) among the
key's three holders — the centre (index 1), the regulator (2) and the tenderee (3). Each
holder deals: it publishes commitments to a random polynomial and seals a sub-share to every
holder through the platform, signed with its bound SM2 key. Each holder then checks what it
received against the commitments and complains about a dealing that fails. The opening
public key is the sum of the qualified dealers' constant commitments; its private key never
exists anywhere until a rescue after the deadline combines two holders' shares [E27, E31].
The platform only relays, checks signatures and commitments, and rules on complaints.

Time: dealings until ``deadline``; when a holder never dealt, it is excluded there and the
others get ``VERIFICATION_GRACE`` more to check what they received; the ceremony closes
when every dealer verified, or at the last of those times (the chronograph's event).
See docs/envelope.md, "The ceremony on the platform".
"""

from trading.ceremony.reading import (
    COMMAND,
    page,
    publication_refusal,
    qualified_commitments,
    rescue_dealings,
    status_line,
    steps_waiting_for,
)
from trading.ceremony.records import can_see, closes_at, latest, qualified, section_for
from trading.ceremony.services import (
    SILENT,
    VERIFICATION_GRACE,
    choose_mode,
    deal,
    next_moment,
    on_time,
    start,
    verify,
)

__all__ = [
    "COMMAND",
    "SILENT",
    "VERIFICATION_GRACE",
    "can_see",
    "choose_mode",
    "closes_at",
    "deal",
    "latest",
    "next_moment",
    "on_time",
    "page",
    "publication_refusal",
    "qualified",
    "qualified_commitments",
    "rescue_dealings",
    "section_for",
    "start",
    "status_line",
    "steps_waiting_for",
    "verify",
]
