"""Virtual sub-account numbers (虚拟子账号): digits ending in a Luhn check digit (ISO/IEC
7812-1), so the bank side refuses a mistyped number instead of crediting a stranger's."""

from __future__ import annotations

import secrets

LENGTH = 16  # prefix + random digits + check digit


def check_digit(body: str) -> str:
    """The Luhn digit that makes ``body + digit`` valid."""
    if not body.isdigit():
        raise ValueError("a sub-account number has digits only")
    total = 0
    # Doubling starts from the rightmost digit of the body (the check digit goes after it).
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid(number: str) -> bool:
    """Digits only, the expected length, and the right check digit."""
    return (
        len(number) == LENGTH
        and number.isascii()
        and number.isdigit()
        and check_digit(number[:-1]) == number[-1]
    )


def new_number(prefix: str) -> str:
    """A random number under ``prefix``: random, not sequential, so a bidder who asks for two
    cannot count how many others asked in between."""
    if not prefix.isdigit() or not 1 <= len(prefix) <= 8:
        raise ValueError("the sub-account prefix is 1 to 8 digits")
    random_digits = LENGTH - 1 - len(prefix)
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(random_digits))
    return body + check_digit(body)
