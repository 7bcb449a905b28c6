"""The draw's order (ggzy_core.draw): what openssl computes, and seats that skip anyone an
earlier need took."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ggzy_core import draw
from tests.ggzy_core.gm.helpers import openssl, requires_openssl


@requires_openssl
def test_a_rank_is_what_the_documented_openssl_steps_compute() -> None:
    secret, anchor = bytes(range(32)), "ab" * 32

    seed = openssl("dgst", "-sm3", "-binary", stdin=secret + bytes.fromhex(anchor))
    rank = openssl("dgst", "-sm3", "-r", stdin=seed + b"\x00E-17").split()[0].decode()

    assert seed == draw.seed(secret, anchor)
    assert rank == draw.rank(seed, "E-17")
    assert openssl("dgst", "-sm3", "-r", stdin=secret).split()[0].decode() == draw.commitment(
        secret
    )


def test_a_later_need_skips_the_experts_an_earlier_need_seated() -> None:
    seed = draw.seed(b"\x01" * 32, "00" * 32)
    shared = ["A", "B", "C", "D"]
    needs = [draw.Need("A08", 2, 1), draw.Need("A0801", 1, 0)]

    seats = draw.seats(seed, needs, {"A08": shared, "A0801": shared})

    first = sorted(shared, key=lambda number: draw.rank(seed, number))
    assert [(s.code, s.role, s.number) for s in seats] == [
        ("A08", "member", first[0]),
        ("A08", "member", first[1]),
        ("A08", "backup", first[2]),
        ("A0801", "member", first[3]),
    ]


def members(seats: list[draw.Seat]) -> list[str]:
    return [seat.number for seat in seats if seat.role == draw.MEMBER]


@given(
    st.binary(min_size=32, max_size=32),
    st.integers(min_value=0, max_value=5),
    st.sets(st.integers(min_value=0, max_value=19), max_size=20),
)
def test_at_least_the_owed_members_come_from_outside_the_city_and_the_rest_by_rank(
    secret: bytes, owed: int, away: set[int]
) -> None:
    seed = draw.seed(secret, "00" * 32)
    pool = {"A08": [f"E{n:02d}" for n in range(12)], "D01": [f"E{n:02d}" for n in range(12, 20)]}
    outside = {f"E{n:02d}" for n in away}
    needs = [draw.Need("A08", 3, 1), draw.Need("D01", 2, 1)]

    seats = draw.seats(seed, needs, pool, outside=outside, outside_min=owed)

    seated = members(seats)
    if len(seated) == 5:  # else too few from outside: the platform refuses the draw
        assert sum(number in outside for number in seated) >= owed
    for need in needs:
        ranked = sorted(pool[need.code], key=lambda number: draw.rank(seed, number))
        mine = [s.number for s in seats if s.code == need.code and s.role == draw.MEMBER]
        # Passed over only for being of the city: no outside expert ranked above a member
        # was left out, and a member of the city is never below a skipped outside one.
        for number in ranked[: ranked.index(mine[-1])] if mine else []:
            assert number in mine or number not in outside


def test_without_the_rule_the_seats_are_the_plain_order() -> None:
    seed = draw.seed(b"\x02" * 32, "00" * 32)
    pool = {"A08": [f"E{n:02d}" for n in range(10)]}
    plain = draw.seats(seed, [draw.Need("A08", 5, 2)], pool)
    assert draw.seats(seed, [draw.Need("A08", 5, 2)], pool, outside={"E01"}, outside_min=0) == plain


def test_half_from_outside_passes_over_experts_of_the_city_by_rank() -> None:
    seed = draw.seed(b"\x03" * 32, "00" * 32)
    numbers = [f"E{n:02d}" for n in range(10)]
    ranked = sorted(numbers, key=lambda number: draw.rank(seed, number))
    outside = set(ranked[-3:])  # the three ranked last are the only ones from outside

    seats = draw.seats(
        seed, [draw.Need("A08", 5, 1)], {"A08": numbers}, outside=outside, outside_min=3
    )

    assert members(seats) == ranked[:2] + ranked[-3:]
    assert [seat.number for seat in seats if seat.role == draw.BACKUP] == [ranked[2]]


def test_the_ranks_are_the_same_with_or_without_hashlibs_sm3(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = draw.seed(b"\x04" * 32, "00" * 32)
    numbers = {f"E{n:03d}" for n in range(50)}
    fast = draw._ranks(seed, numbers)
    monkeypatch.setattr(draw.hashlib, "algorithms_available", set())
    assert draw._ranks(seed, numbers) == fast
    assert {number: rank.hex() for number, rank in fast.items()} == {
        number: draw.rank(seed, number) for number in numbers
    }
