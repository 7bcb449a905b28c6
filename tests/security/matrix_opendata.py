"""The authorization matrix's rows for the opendata routes (see matrix.py).

Open data is public [E40]: everyone, signed in or not, reads the page, the feed, a release
and a record, at every stage. What the answers may say before the deadline is the business
of test_nothing_before_the_deadline (the feed, the release and the record are compared with
one and three bids in) and tests/supervision/opendata/test_embargo.py."""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    "opendata:index": Row({"GET": same("AAAAAAAAA")}),
    "opendata:releases": Row({"GET": same("AAAAAAAAA")}),
    "opendata:release": Row({"GET": same("AAAAAAAAA")}),
    "opendata:record": Row({"GET": same("AAAAAAAAA")}),
}
