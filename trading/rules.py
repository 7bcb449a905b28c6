"""The legal numbers the trading services enforce, each with its article."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

# ≥ 20 days from issuing the tender documents to the bid deadline [L24].
DOCUMENT_PERIOD_MIN = dt.timedelta(days=20)
# A clarification or amendment less than 15 days before the deadline moves it [R21, L23].
CLARIFICATION_NOTICE_MIN = dt.timedelta(days=15)
# Objections to the tender documents until 10 days before the deadline [R22] …
OBJECTION_CUTOFF = dt.timedelta(days=10)
# … answered within 3 days [R22].
OBJECTION_ANSWER_WITHIN = dt.timedelta(days=3)
# Fewer than 3 bids at the deadline: no opening, re-tender [R44].
MIN_BIDS_TO_OPEN = 3
# Bid deposit ≤ 2% of the estimated price [R26]; works tenders also ≤ 800,000 yuan.
DEPOSIT_MAX_RATE = Decimal("0.02")
WORKS_DEPOSIT_CAP = Decimal("800000")
# The section's opening key is split among the centre, the regulator and the tenderee;
# two shares rebuild it (Shamir 2-of-3), and the platform rebuilds it only after the deadline,
# in a rescue the host started [E27, E31]. Regulator required: of the two, one must be the
# regulator's — the platform does not rebuild the key from the centre's and the tenderee's
# shares alone (realtime/decryption.py `submit_share`), and releases their sealed shares only
# once the regulator has given its own (realtime/rescue.py). See docs/envelope.md.
OPENING_KEY_THRESHOLD = 2
