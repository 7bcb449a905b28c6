"""The draw's order (ggzy_core.draw): what openssl computes, and seats that skip anyone an
earlier need took."""

from __future__ import annotations

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
