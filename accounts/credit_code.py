"""Unified social credit code (统一社会信用代码), GB 32100-2015: the validator that says which
rule a code breaks. The rule itself is in ``ggzy_core.credit_code``."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ggzy_core.credit_code import LENGTH, VALUES, check_character

__all__ = ["check_character", "normalise", "validate_credit_code", "with_check_character"]


def normalise(code: str) -> str:
    return code.strip().upper()


def validate_credit_code(code: str) -> None:
    """Raise ``ValidationError`` naming the rule the code breaks (length, charset, check)."""
    code = normalise(code)
    if len(code) != LENGTH:
        raise ValidationError(
            "统一社会信用代码应为18位，当前为%(length)d位 / "
            "A unified social credit code has 18 characters, this one has %(length)d.",
            code="credit_code_length",
            params={"length": len(code)},
        )
    for position, char in enumerate(code, start=1):
        if char not in VALUES:
            raise ValidationError(
                "第%(position)d位字符“%(char)s”不允许（不得使用I、O、S、V、Z） / "
                "Character %(position)d (%(char)s) is not allowed: only 0-9 and A-Y "
                "without I, O, S, V, Z.",
                code="credit_code_charset",
                params={"position": position, "char": char},
            )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            "校验码错误：第18位应为“%(expected)s”，而不是“%(got)s” / "
            "Check character is wrong: the 18th character should be %(expected)s, not %(got)s.",
            code="credit_code_check",
            params={"expected": expected, "got": code[17]},
        )


def with_check_character(first17: str) -> str:
    """Complete a 17-character prefix into a valid code (demo data and factories)."""
    first17 = normalise(first17)
    return first17 + check_character(first17)
