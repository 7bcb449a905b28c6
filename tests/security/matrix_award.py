"""The authorization matrix's rows for the award routes (see matrix.py).

The matrix world's section never reaches the candidate publicity, so each award page of it
is missing (404) for whoever gets past the sign-in: nothing of the award stage exists
before the evaluation's result, and nothing tells a bid's existence before the deadline.
Who sees what once it exists is tested in tests/award/test_pages.py.
"""

from __future__ import annotations

from tests.security.cells import Row, same

MISSING = same("NNNNNNNNN")
SIGNED_IN_MISSING = same("DNNNNNNNN")

ROWS: dict[str, Row] = {
    # Each organisation's own notices: everyone signed in gets its (possibly empty) list.
    "award:notices": Row({"GET": same("DAAAAAAAA")}),
    # Public once publicized [R54]: the result page and the signed publicity.
    "award:result": Row({"GET": MISSING}),
    "award:publicity": Row({"GET": MISSING}),
    # The bidders' objections and the tenderee's answers [R54].
    "award:objections": Row({"GET": SIGNED_IN_MISSING, "POST": SIGNED_IN_MISSING}),
    "award:answer": Row({"POST": SIGNED_IN_MISSING}),
    # The tenderee's award page and its actions [L45, L46, R55].
    "award:manage": Row({"GET": SIGNED_IN_MISSING}),
    "award:issue": Row({"POST": SIGNED_IN_MISSING}),
    "award:decline": Row({"POST": SIGNED_IN_MISSING}),
    "award:retender": Row({"POST": SIGNED_IN_MISSING}),
    "award:contract": Row({"POST": SIGNED_IN_MISSING}),
    # The contract file (the parties, the winner, the overseers) and the signed notices.
    "award:contract_file": Row({"GET": SIGNED_IN_MISSING}),
    "award:award_download": Row({"GET": SIGNED_IN_MISSING}),
    "award:notice_download": Row({"GET": SIGNED_IN_MISSING}),
}
