"""The authorization matrix's rows for the transparency log's routes (signed tree heads,
proofs, the feed; docs/ledger.md) (see matrix.py).

The heads, the proofs, the page and the feed are public: everyone, signed in or not, at
every stage. The consistency and inclusion routes are asked here without their query (the
matrix names no query string), so every role gets the same bilingual 400: R. What a head
may reveal before the deadline is the business of tests/security/test_tree_heads_leak_nothing.py
(and test_nothing_before_the_deadline compares these answers with one and three bids in).

A bid's proof bundle is the bidder's own, like its receipt: anyone else gets the answer for
a bid that does not exist (N), the anonymous are asked to log in (D). Before the deadline
the bidder gets 409 (R): its entry enters the public tree with the first head after the
deadline (tests/security/transparency_world.py signs a head at each stage's time).
"""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    "api:ledger-head": Row({"GET": same("AAAAAAAAA")}),
    "api:ledger-heads": Row({"GET": same("AAAAAAAAA")}),
    "api:ledger-consistency": Row({"GET": same("RRRRRRRRR")}),
    "api:ledger-inclusion": Row({"GET": same("RRRRRRRRR")}),
    "api:bid-ledger-proof": Row({"GET": ("DRNNNNNNN", "DANNNNNNN", "DANNNNNNN")}),
    "transparency:index": Row({"GET": same("AAAAAAAAA")}),
    "transparency:feed": Row({"GET": same("AAAAAAAAA")}),
}
