"""Virtual sub-account numbers carry a Luhn check digit: one mistyped digit is caught."""

from __future__ import annotations

import pytest

from ggzy_core import subaccount


def test_a_new_number_is_valid_and_starts_with_the_prefix() -> None:
    number = subaccount.new_number("8866")
    assert number.startswith("8866") and len(number) == subaccount.LENGTH
    assert subaccount.is_valid(number)


def test_the_check_digit_agrees_with_a_known_luhn_example() -> None:
    assert subaccount.check_digit("7992739871") == "3"  # the textbook Luhn example


@pytest.mark.parametrize("position", range(16))
def test_any_single_mistyped_digit_is_refused(position: int) -> None:
    number = subaccount.new_number("8866")
    wrong = str((int(number[position]) + 3) % 10)
    assert not subaccount.is_valid(number[:position] + wrong + number[position + 1 :])


def test_two_numbers_are_not_consecutive() -> None:
    first, second = subaccount.new_number("8866"), subaccount.new_number("8866")
    assert abs(int(first[:-1]) - int(second[:-1])) != 1
