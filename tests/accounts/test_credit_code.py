import pytest
from django.core.exceptions import ValidationError

from accounts.credit_code import (
    check_character,
    normalise,
    validate_credit_code,
    with_check_character,
)

REAL_CODES = ["91350100M000100Y43", "91110000802100433B", "91440300708461136T"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_published_codes(code: str) -> None:
    validate_credit_code(code)
    assert check_character(code[:17]) == code[17]


def test_it_accepts_lower_case_and_surrounding_spaces_and_still_checks_them() -> None:
    assert normalise("  91350100m000100y43 ") == "91350100M000100Y43"
    validate_credit_code("  91350100m000100y43 ")  # raises if it is refused
    with pytest.raises(ValidationError) as caught:  # the lower case is checked, not skipped
        validate_credit_code("  91350100m000100y44 ")
    assert caught.value.code == "credit_code_check"


def test_it_says_the_length_is_wrong() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code("91350100M000100Y4")
    assert caught.value.code == "credit_code_length"
    assert "18" in caught.value.messages[0] and "17" in caught.value.messages[0]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_it_names_a_forbidden_character_and_its_position(letter: str) -> None:
    code = "91350100M000100" + letter + "43"
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "credit_code_charset"
    assert "16" in caught.value.messages[0] and letter in caught.value.messages[0]


def test_it_says_which_check_character_was_expected() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code("91350100M000100Y44")
    assert caught.value.code == "credit_code_check"
    message = caught.value.messages[0]
    assert "“3”" in message and "“4”" in message


def test_a_completed_prefix_is_valid_and_one_changed_character_is_not() -> None:
    code = with_check_character("91320100MA1Y00011")
    validate_credit_code(code)
    tampered = code[:5] + ("1" if code[5] != "1" else "2") + code[6:]
    with pytest.raises(ValidationError):
        validate_credit_code(tampered)
