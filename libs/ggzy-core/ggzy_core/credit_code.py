"""Unified social credit code (统一社会信用代码), GB 32100-2015, as plain functions.

18 characters from ``0-9A-HJ-NPQRTUWXY`` (no I, O, S, V, Z); the 18th is a check character
computed from the first 17 with weights 3^(i-1) mod 31. No Django: the bidder's tool and
``ggzy_core.gm.envelope`` check codes too; ``accounts.credit_code`` adds the form-facing errors.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: index for index, char in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    return (
        len(code) == LENGTH
        and all(char in VALUES for char in code)
        and code[17] == check_character(code[:17])
    )
