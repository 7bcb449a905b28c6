"""The authorization matrix's cells (see matrix.py for what the letters mean)."""

from __future__ import annotations

from dataclasses import dataclass

Stages = tuple[str, str, str]


@dataclass(frozen=True)
class Row:
    cells: dict[str, Stages]  # method → (before, opening, closed)


def same(cells: str) -> Stages:
    return (cells, cells, cells)
