"""The authorization matrix's rows for the award routes (see matrix.py)."""

from __future__ import annotations

from tests.security.cells import Row

ROWS: dict[str, Row] = {}
