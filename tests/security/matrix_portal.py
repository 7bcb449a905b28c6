"""The authorization matrix's rows for the regulator's portal (see matrix.py).

The portal is the supervising department's: every other role, a platform superuser
included, is refused (403 with the reason; the anonymous are sent to log in). A section of
another department's is not found (tests/supervision/portal/test_access.py)."""

from __future__ import annotations

from tests.security.cells import Row, same

REGULATOR_ONLY = same("DDDDDDADD")

ROWS: dict[str, Row] = {
    "supervision:overview": Row({"GET": REGULATOR_ONLY}),
    "supervision:charts": Row({"GET": REGULATOR_ONLY}),
    "supervision:chart": Row({"GET": REGULATOR_ONLY}),
    "supervision:ledger": Row({"GET": REGULATOR_ONLY}),
    "supervision:ledger_export": Row({"GET": REGULATOR_ONLY}),
    "supervision:ledger_verify": Row({"GET": REGULATOR_ONLY, "POST": REGULATOR_ONLY}),
    "supervision:timeline": Row({"GET": REGULATOR_ONLY}),
    "supervision:hall": Row({"GET": REGULATOR_ONLY}),
}
