"""The authorization matrix's rows for the opening key ceremony's routes (the dealer-free
key generation; docs/envelope.md) (see matrix.py).

The world's section was published with the dealt key, so no ceremony runs: the holders
(centre, regulator, tenderee) see the ceremony's JSON and are refused their steps for what
they are (400: an empty body; 409: nothing to start); everybody else is told nothing (404),
as for a section that does not exist. The page buttons are the tenderee's alone."""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    "api:section-ceremony": Row({"GET": same("DNNANAANN")}),
    "api:section-ceremony-dealing": Row({"POST": same("DNNRNRRNN")}),
    "api:section-ceremony-verification": Row({"POST": same("DNNRNRRNN")}),
    "api:section-ceremony-start": Row({"POST": same("DNNRNDDNN")}),
    "opening_key_ceremony_start": Row({"POST": same("DDDADDDDD")}),
    "opening_key_mode": Row({"POST": same("DDDADDDDD")}),
}
