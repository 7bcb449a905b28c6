"""The authorization matrix's rows for the archive routes (see matrix.py)."""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    # Regulators (their departments' sections) and the hosting centre's staff (their
    # centre's) list and download sealed archives; every other role is refused with the
    # reason (403), the anonymous sent to log in. A superuser is not a reader here.
    "archive:list": Row({"GET": same("DDDDDAADD")}),
    "archive:download": Row({"GET": same("DDDDDAADD")}),
    # Only the centre's staff seal now; the world's archive is sealed already (409).
    "archive:seal": Row({"POST": same("DDDDDRDDD")}),
}
