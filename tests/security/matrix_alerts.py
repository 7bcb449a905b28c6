"""The authorization matrix's rows for the alerts routes (see matrix.py).

The project's regulator handles its sections' alerts; the hosting centre's staff read them
(403 on a case action); anybody else gets 404 as for an alert that does not exist. Before the
deadline there is no alert (the rules do not run), so every alert route is 404. A case
action with an empty form is refused by the service (R): closing needs a conclusion, a note
needs text."""

from __future__ import annotations

from tests.security.cells import Row, same

ROWS: dict[str, Row] = {
    "alerts:list": Row({"GET": same("DNNNNAANN")}),
    "alerts:detail": Row({"GET": ("DNNNNNNNN", "DNNNNAANN", "DNNNNAANN")}),
    "alerts:investigate": Row({"POST": ("DNNNNNNNN", "DNNNNDANN", "DNNNNDANN")}),
    "alerts:close": Row({"POST": ("DNNNNNNNN", "DNNNNDRNN", "DNNNNDRNN")}),
    "alerts:note": Row({"POST": ("DNNNNNNNN", "DNNNNDRNN", "DNNNNDRNN")}),
}
