"""The SM2 recommended curve (GB/T 32918.5) and a safe wrapper around gmssl's point arithmetic.

Why wrap gmssl instead of calling ``CryptSM2`` directly:

* gmssl draws signing and encryption nonces from :mod:`random`, which is predictable; a
  predictable nonce reveals the private key. Callers here always supply a nonce from
  :mod:`secrets`, and encryption is implemented on top of the point primitives.
* ``CryptSM2.__init__`` does ``public_key.lstrip("04")``, which strips *every* leading
  '0' and '4' character, corrupting keys whose x-coordinate hex starts with them. The
  engine here never receives a public key through the constructor.
* gmssl never checks that a point is on the curve, and its ``_kg`` returns P for k = 0 and
  garbage for k >= n; this module validates points and scalars before using them.
* gmssl's ``verify`` mishandles the P1 == P2 and P1 == -P2 cases; :func:`add` handles both.

Speed: gmssl does a double-and-add scalar multiplication on hex strings (about 4 ms). For the
fixed base G (key generation, signing, the first half of verification and encryption) this
module precomputes j·16^i·G for every 4-bit window once (:class:`WindowTable`), so k·G needs
about 60 of gmssl's mixed additions and no doublings: five times faster. A public key that
is used often (the platform's, when a regulator verifies a long ledger) gets its own table.

This is pure-Python big-integer arithmetic and is not constant-time. That is acceptable on
the bidder's own machine and on a server without co-resident attackers; see docs/crypto.md.
"""

from __future__ import annotations

import threading

from gmssl.sm2 import CryptSM2, default_ecc_table

from .errors import InvalidKey

P = int(default_ecc_table["p"], 16)
A = int(default_ecc_table["a"], 16)
B = int(default_ecc_table["b"], 16)
N = int(default_ecc_table["n"], 16)
GX = int(default_ecc_table["g"][:64], 16)
GY = int(default_ecc_table["g"][64:], 16)
COORDINATE_SIZE = 32

Point = tuple[int, int]
G: Point = (GX, GY)

_G_HEX = default_ecc_table["g"]
_WINDOW_BITS = 4
_WINDOWS = 256 // _WINDOW_BITS


def is_on_curve(point: Point) -> bool:
    x, y = point
    if not (0 <= x < P and 0 <= y < P):
        return False
    return (y * y - (x * x * x + A * x + B)) % P == 0


def check_public_point(point: Point) -> Point:
    """Return ``point`` if it is a valid SM2 public point, else raise InvalidKey.

    The affine representation cannot hold the point at infinity, and the cofactor is 1, so
    being on the curve is enough for the point to be in the prime-order group.
    """
    if not is_on_curve(point):
        raise InvalidKey("SM2 public key rejected: the point is not on the SM2 curve")
    return point


def check_private_scalar(d: int) -> int:
    # GB/T 32918.1 §6.1: d in [1, n-2], so that 1 + d is invertible mod n for signing.
    if not 1 <= d <= N - 2:
        raise InvalidKey("SM2 private key rejected: the scalar must lie in [1, n-2]")
    return d


def decompress(prefix: int, x: int) -> Point:
    """Recover y from a compressed point (prefix 2 or 3); p ≡ 3 (mod 4) gives a direct sqrt."""
    if not 0 <= x < P:
        raise InvalidKey("SM2 public key rejected: x-coordinate is not below the field prime p")
    rhs = (x * x * x + A * x + B) % P
    y = pow(rhs, (P + 1) // 4, P)
    if y * y % P != rhs:
        raise InvalidKey("SM2 public key rejected: compressed x has no point on the SM2 curve")
    if (y & 1) != (prefix & 1):
        y = P - y
    return (x, y)


def point_to_hex(point: Point) -> str:
    return f"{point[0]:064x}{point[1]:064x}"


def hex_to_point(text: str) -> Point:
    return (int(text[:64], 16), int(text[64:128], 16))


class _Engine(CryptSM2):
    """gmssl's CryptSM2 whose k·G uses the precomputed window table."""

    def _kg(self, k: int, Point: str) -> str:
        if Point == _G_HEX:
            return _base_multiply_hex(k)
        return str(super()._kg(k, Point))


# gmssl reads its curve from the instance; one shared instance without keys serves every
# public-only operation, and signing builds a short-lived one holding the scalar.
_PUBLIC_ENGINE = _Engine(private_key="", public_key="")


def engine_for_private_scalar(d: int) -> CryptSM2:
    check_private_scalar(d)
    return _Engine(private_key=f"{d:064x}", public_key="")


def _jacobian(affine_hex: str) -> str:
    # gmssl marks a point as Jacobian by a trailing Z; Z = 1 for an affine point.
    return affine_hex + "1"


class WindowTable:
    """j·16^i·Q for i < 64, 1 <= j <= 15, in affine hex: k·Q then costs ~60 mixed additions.

    Only ever built from public points (G, or a public key), so it holds nothing secret.
    """

    __slots__ = ("rows",)

    def __init__(self, point: Point) -> None:
        eng = _PUBLIC_ENGINE
        rows: list[list[str]] = []
        base = point_to_hex(point)
        for _ in range(_WINDOWS):
            row = [base]
            # j·base for j = 2..16; entry 16 is the next window's base. As n is a prime
            # above 17, j·base is never ±base here, the case gmssl's mixed addition gets wrong.
            current = eng._convert_jacb_to_nor(eng._double_point(_jacobian(base)))
            row.append(current)
            for _j in range(3, 17):
                current = eng._convert_jacb_to_nor(eng._add_point(_jacobian(current), base))
                row.append(current)
            base = row.pop()
            rows.append(row)
        self.rows = rows

    def multiply_hex(self, k: int) -> str:
        if not 1 <= k < N:
            raise ValueError("scalar must lie in [1, n-1]")
        eng = _PUBLIC_ENGINE
        acc: str | None = None
        # Windows from least significant: the running sum is m·Q with m < 16^i and the next
        # term is j·16^i·Q with j·16^i < n, so the two are never equal or opposite while k < n.
        for i, row in enumerate(self.rows):
            digit = (k >> (_WINDOW_BITS * i)) & 0xF
            if digit:
                acc = row[digit - 1] if acc is None else eng._add_point(acc, row[digit - 1])
        if acc is None:  # unreachable: k >= 1 has a non-zero digit
            raise ValueError("scalar is zero")
        if len(acc) == 128:
            return acc
        result = eng._convert_jacb_to_nor(acc)
        if result is None:
            raise ArithmeticError("k·Q reached the point at infinity")
        return str(result)

    def multiply(self, k: int) -> Point:
        return hex_to_point(self.multiply_hex(k))


_g_table: WindowTable | None = None
_g_table_lock = threading.Lock()


def _base_table() -> WindowTable:
    global _g_table
    if _g_table is None:
        with _g_table_lock:
            if _g_table is None:
                _g_table = WindowTable(G)
    return _g_table


# Building the k·G table costs about as much as 40 plain multiplications. A process that
# needs only a few (``ggzy-bid seal``: two wraps and a signature) never builds it; one that
# keeps going (a server, a long verification) builds it once it has done this many.
_PLAIN_BASE_MULTIPLICATIONS = 32
_plain_base_multiplications = 0


def _base_multiply_hex(k: int) -> str:
    global _plain_base_multiplications
    if _g_table is None and _plain_base_multiplications < _PLAIN_BASE_MULTIPLICATIONS:
        if not 1 <= k < N:
            raise ValueError("scalar must lie in [1, n-1]")
        _plain_base_multiplications += 1  # a lost update under threads only builds it later
        result = CryptSM2._kg(_PUBLIC_ENGINE, k, _G_HEX)
        if result is None:  # unreachable for 1 <= k < n
            raise ArithmeticError("k·G reached the point at infinity")
        return str(result)
    return _base_table().multiply_hex(k)


def base_multiply(k: int) -> Point:
    """Return k·G for 1 <= k < n."""
    return hex_to_point(_base_multiply_hex(k))


def multiply(k: int, point: Point, table: WindowTable | None = None) -> Point:
    """Return k·Q for 1 <= k < n and a validated point Q (``table``: Q's WindowTable)."""
    if not 1 <= k < N:
        raise ValueError("scalar for k·Q must lie in [1, n-1]")
    if table is not None:
        return table.multiply(k)
    result = CryptSM2._kg(_PUBLIC_ENGINE, k, point_to_hex(point))
    if result is None:
        raise ArithmeticError("k·Q reached the point at infinity")
    return hex_to_point(result)


def add(p1: Point, p2: Point) -> Point | None:
    """Return p1 + p2, or None for the point at infinity."""
    eng = _PUBLIC_ENGINE
    if p1[0] == p2[0]:
        if (p1[1] + p2[1]) % P == 0:
            return None
        jac = eng._double_point(_jacobian(point_to_hex(p1)))
    else:
        jac = eng._add_point(_jacobian(point_to_hex(p1)), point_to_hex(p2))
    result = eng._convert_jacb_to_nor(jac)
    return None if result is None else hex_to_point(result)


def warm_up() -> None:
    """Build the k·G table now instead of on first use (about 0.15 s)."""
    _base_table()
