"""k-of-n Shamir secret sharing of a section's opening key, over Z_n (n = SM2 group order).

Before the deadline the opening key's private scalar d must not exist in one place. It is
split into shares y_i = f(i) of a random polynomial f of degree k-1 with f(0) = d, and each
share is sealed (SM2, GM/T 0009) to one holder: the trading centre, the regulator, the
tenderee. Any k holders together recover d by Lagrange interpolation at 0; k-1 shares are
consistent with every possible d, so they reveal nothing about it.

Honest limit of the dealt mode: the platform process that generates d knows it until it has
split it (see :func:`split_new_opening_key`); Python cannot wipe an int from memory. The
default mode avoids that: in :mod:`.dkg` the holders generate d together and it never exists
anywhere before a rescue; the shares they end with are Shamir shares like these, combined
here (docs/envelope.md, "Opening key").
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from . import curve
from .errors import DecryptionError, GMError, InvalidKey, MalformedData
from .sm2 import SM2PrivateKey, SM2PublicKey, generate_private_key

ORDER = curve.N
MAX_SHARES = 255  # the index is one byte
SHARE_SIZE = 33  # 1-byte index ‖ 32-byte value


class ShareError(GMError, ValueError):
    """Shares that cannot be combined, or that do not give the expected key."""


@dataclass(frozen=True)
class Share:
    """The point (index, value) = (i, f(i)); index in [1, 255], value in [0, n)."""

    index: int
    value: int

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not 1 <= self.index <= MAX_SHARES:
            raise ShareError(f"share index must be in [1, {MAX_SHARES}], got {self.index}")
        if not 0 <= self.value < ORDER:
            raise ShareError("share value must be in [0, n) for the SM2 group order n")

    def to_bytes(self) -> bytes:
        return bytes([self.index]) + self.value.to_bytes(32, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        if len(data) != SHARE_SIZE:
            raise MalformedData(f"a share is {SHARE_SIZE} bytes, got {len(data)}")
        return cls(data[0], int.from_bytes(data[1:], "big"))

    def __repr__(self) -> str:
        return f"<Share index={self.index}>"  # the value is secret

    __str__ = __repr__


def split(secret: int, *, threshold: int, shares: int) -> list[Share]:
    """Split ``secret`` (in [0, n)) into ``shares`` shares, any ``threshold`` of which
    recover it. Coefficients come from :mod:`secrets`."""
    if not 0 <= secret < ORDER:
        raise ShareError("the secret must be in [0, n) for the SM2 group order n")
    if not 2 <= threshold <= shares <= MAX_SHARES:
        raise ShareError(
            f"need 2 <= threshold <= shares <= {MAX_SHARES}, "
            f"got threshold={threshold}, shares={shares}"
        )
    coefficients = [secret] + [secrets.randbelow(ORDER) for _ in range(threshold - 1)]
    return [Share(x, _evaluate(coefficients, x)) for x in range(1, shares + 1)]


def _evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for coefficient in reversed(coefficients):  # Horner
        result = (result * x + coefficient) % ORDER
    return result


def combine(shares: Sequence[Share], *, threshold: int | None = None) -> int:
    """Lagrange interpolation at 0. With fewer than the threshold used at split time the
    result is simply wrong (it cannot be detected here): pass ``threshold`` to refuse too
    few shares, and check the result, as :func:`reconstruct_opening_key` does."""
    minimum = 2 if threshold is None else threshold
    if len(shares) < minimum:
        raise ShareError(f"need at least {minimum} shares, got {len(shares)}")
    indices = [share.index for share in shares]
    if len(set(indices)) != len(indices):
        raise ShareError("the same share index appears twice")
    for share in shares:  # Share validates itself; this guards against look-alike objects
        if not 1 <= share.index <= MAX_SHARES or not 0 <= share.value < ORDER:
            raise ShareError("share index or value out of range")
    secret = 0
    for share in shares:
        numerator, denominator = 1, 1
        for other in indices:
            if other != share.index:
                numerator = numerator * other % ORDER
                denominator = denominator * (other - share.index) % ORDER
        secret = (secret + share.value * numerator * pow(denominator, -1, ORDER)) % ORDER
    return secret


def seal_share(share: Share, public_key: SM2PublicKey) -> bytes:
    """Encrypt a share to its holder's key (GM/T 0009 DER, as ``openssl pkeyutl`` writes)."""
    return public_key.encrypt(share.to_bytes())


def open_share(ciphertext: bytes, private_key: SM2PrivateKey) -> Share:
    try:
        return Share.from_bytes(private_key.decrypt(ciphertext))
    except DecryptionError:
        raise DecryptionError(
            "this share is not sealed to this key (or it was modified): "
            "only the holder's private key opens it"
        ) from None


def split_new_opening_key(
    *, threshold: int, holders: Sequence[SM2PublicKey]
) -> tuple[SM2PublicKey, list[bytes]]:
    """Generate an opening key, split it ``threshold``-of-``len(holders)`` and seal share i
    to holder i. Returns the public key and the sealed shares, in the holders' order; d is
    neither returned nor kept."""
    if len(set(holders)) != len(holders):
        raise ShareError("each holder must have a different key")
    key = generate_private_key()
    shares = split(key._d, threshold=threshold, shares=len(holders))
    sealed = [seal_share(share, holder) for share, holder in zip(shares, holders, strict=True)]
    return key.public_key(), sealed


def reconstruct_opening_key(
    shares: Sequence[Share], *, expected_public_key: SM2PublicKey, threshold: int | None = None
) -> SM2PrivateKey:
    """Combine shares and check that the key is the section's opening key."""
    d = combine(shares, threshold=threshold)
    try:
        key = SM2PrivateKey(d)
    except InvalidKey:
        key = None
    if key is None or key.public_key() != expected_public_key:
        raise ShareError(
            "the shares do not reconstruct the opening key (too few shares, shares of another "
            "key, or a modified share)"
        )
    return key
