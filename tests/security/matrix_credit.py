"""The authorization matrix's rows for the credit routes (see matrix.py).

Credit records name organisations and persons, never a bid: every row is the same at every
stage. The public dishonest list is everyone's; the records list is the regulator's (every
record) and the centre's (those in force); entering, importing, revoking and correcting are
the regulator's (the department that entered the record: the world's). The world's record
is on the second bidder, so the world's bidder (the first) does not see it (404); an empty
POST by the regulator is answered with the form or a message (A), the service refusing it.
A platform superuser sees the public list and their own page only (docs/credit.md).
"""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    "credit:dishonest": Row({"GET": same("AAAAAAAAA")}),
    "credit:records": Row({"GET": same("DDDDDAADD")}),
    "credit:enter": Row({"GET": same("DDDDDDADD"), "POST": same("DDDDDDADD")}),
    "credit:record": Row({"GET": same("DNNNNAANN")}),
    "credit:revoke": Row({"POST": same("DNNNNDANN")}),
    "credit:correct": Row({"GET": same("DNNNNDANN"), "POST": same("DNNNNDANN")}),
    "credit:import": Row({"GET": same("DDDDDDADD"), "POST": same("DDDDDDADD")}),
    "credit:mine": Row({"GET": same("DAAAAAAAA")}),
}
