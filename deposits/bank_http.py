"""Placeholder until the HTTP adapter lands (the bank helper's branch replaces this file)."""

from __future__ import annotations

from deposits.bank import Bank

_override: Bank | None = None


def bank() -> Bank:
    if _override is None:
        raise RuntimeError("no bank adapter configured")
    return _override
