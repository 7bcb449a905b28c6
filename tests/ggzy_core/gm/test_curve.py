"""The arithmetic under SM2: the precomputed tables must agree with gmssl's plain k·P."""

from __future__ import annotations

import secrets

import pytest
from gmssl.sm2 import CryptSM2

from ggzy_core.gm import curve
from ggzy_core.gm.errors import InvalidKey

EDGE_SCALARS = [1, 2, 3, 15, 16, 17, 255, 256, 2**255, 15 * 16**63, curve.N - 2, curve.N - 1]


def _gmssl_multiply(k: int, point: curve.Point) -> curve.Point:
    plain = CryptSM2(private_key="", public_key="")
    return curve.hex_to_point(plain._kg(k, curve.point_to_hex(point)))


def test_the_fixed_base_table_agrees_with_gmssl_for_edge_and_random_scalars() -> None:
    scalars = EDGE_SCALARS + [secrets.randbelow(curve.N - 1) + 1 for _ in range(40)]
    table = curve.WindowTable(curve.G)
    for k in scalars:
        expected = _gmssl_multiply(k, curve.G)
        assert table.multiply(k) == expected, k
        assert curve.base_multiply(k) == expected, k


def test_it_builds_the_base_table_only_once_a_process_has_used_k_g_often(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(curve, "_g_table", None)
    monkeypatch.setattr(curve, "_plain_base_multiplications", 0)
    for k in range(1, curve._PLAIN_BASE_MULTIPLICATIONS + 1):
        assert curve.base_multiply(k) == _gmssl_multiply(k, curve.G)
    assert curve._g_table is None  # a sealing run (three k·G) never pays for the table
    assert curve.base_multiply(12345) == _gmssl_multiply(12345, curve.G)
    assert curve._g_table is not None


def test_a_table_for_any_public_point_agrees_with_gmssl() -> None:
    point = curve.base_multiply(secrets.randbelow(curve.N - 1) + 1)
    table = curve.WindowTable(point)
    for k in EDGE_SCALARS + [secrets.randbelow(curve.N - 1) + 1 for _ in range(20)]:
        assert table.multiply(k) == _gmssl_multiply(k, point), k


@pytest.mark.parametrize("k", [0, curve.N, -1])
def test_it_refuses_scalars_outside_1_to_n_minus_1(k: int) -> None:
    with pytest.raises(ValueError, match=r"\[1, n-1\]"):
        curve.base_multiply(k)
    with pytest.raises(ValueError, match=r"\[1, n-1\]"):
        curve.multiply(k, curve.G)


def test_adding_a_point_to_itself_doubles_it() -> None:
    assert curve.add(curve.G, curve.G) == curve.base_multiply(2)


def test_adding_a_point_to_its_negation_gives_infinity() -> None:
    assert curve.add(curve.G, (curve.GX, curve.P - curve.GY)) is None


def test_adding_distinct_points_matches_scalar_arithmetic() -> None:
    assert curve.add(curve.base_multiply(5), curve.base_multiply(7)) == curve.base_multiply(12)


def test_decompression_recovers_both_y_parities() -> None:
    assert curve.decompress(2 + (curve.GY & 1), curve.GX) == curve.G
    assert curve.decompress(3 - (curve.GY & 1), curve.GX) == (curve.GX, curve.P - curve.GY)


def test_decompression_refuses_an_x_with_no_point() -> None:
    x = next(x for x in range(1, 100) if not _has_point(x))
    with pytest.raises(InvalidKey, match="no point"):
        curve.decompress(2, x)


def _has_point(x: int) -> bool:
    rhs = (x**3 + curve.A * x + curve.B) % curve.P
    return pow(rhs, (curve.P - 1) // 2, curve.P) in (0, 1)
