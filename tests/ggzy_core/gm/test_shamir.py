"""k-of-n sharing of the opening key: any k shares rebuild it, fewer do not."""

from __future__ import annotations

import itertools
import secrets

import pytest

from ggzy_core.gm import curve, shamir, sm2
from ggzy_core.gm.errors import DecryptionError, MalformedData
from ggzy_core.gm.shamir import Share, ShareError


def test_any_k_of_n_shares_rebuild_the_secret() -> None:
    secret = secrets.randbelow(curve.N)
    shares = shamir.split(secret, threshold=3, shares=5)
    assert [share.index for share in shares] == [1, 2, 3, 4, 5]
    for subset in itertools.combinations(shares, 3):
        assert shamir.combine(subset) == secret
    assert shamir.combine(shares) == secret  # more than k is fine too


def test_k_minus_one_shares_give_something_other_than_the_secret() -> None:
    secret = secrets.randbelow(curve.N)
    shares = shamir.split(secret, threshold=3, shares=5)
    for subset in itertools.combinations(shares, 2):
        assert shamir.combine(subset) != secret


def test_splitting_twice_gives_different_shares_of_the_same_secret() -> None:
    secret = 123456789
    first = shamir.split(secret, threshold=2, shares=3)
    second = shamir.split(secret, threshold=2, shares=3)
    assert [s.value for s in first] != [s.value for s in second]  # random coefficients
    assert shamir.combine(first[:2]) == shamir.combine(second[1:]) == secret


def test_combining_refuses_duplicates_and_too_few_shares() -> None:
    shares = shamir.split(42, threshold=2, shares=3)
    with pytest.raises(ShareError, match="appears twice"):
        shamir.combine([shares[0], shares[0]])
    with pytest.raises(ShareError, match="at least 2 shares, got 1"):
        shamir.combine(shares[:1])
    with pytest.raises(ShareError, match="at least 3 shares, got 2"):
        shamir.combine(shares[:2], threshold=3)


@pytest.mark.parametrize("index", [0, 256, -1])
def test_a_share_index_of_zero_or_out_of_range_is_refused(index: int) -> None:
    with pytest.raises(ShareError, match=r"share index must be in \[1, 255\]"):
        Share(index, 1)


def test_split_refuses_thresholds_that_would_not_share_anything() -> None:
    with pytest.raises(ShareError):
        shamir.split(1, threshold=1, shares=3)
    with pytest.raises(ShareError):
        shamir.split(1, threshold=4, shares=3)
    with pytest.raises(ShareError):
        shamir.split(curve.N, threshold=2, shares=3)


def test_a_share_round_trips_through_its_33_bytes_and_hides_its_value() -> None:
    share = Share(7, curve.N - 1)
    data = share.to_bytes()
    assert len(data) == 33
    assert data[0] == 7
    assert Share.from_bytes(data) == share
    assert str(curve.N - 1) not in repr(share)
    assert f"{curve.N - 1:x}" not in repr(share)
    with pytest.raises(MalformedData):
        Share.from_bytes(data[:-1])
    with pytest.raises(ShareError):
        Share.from_bytes(b"\x00" + data[1:])


def test_a_sealed_share_opens_only_with_its_holder_s_key() -> None:
    holder, other = sm2.generate_private_key(), sm2.generate_private_key()
    share = shamir.split(99, threshold=2, shares=2)[1]
    sealed = shamir.seal_share(share, holder.public_key())
    assert share.to_bytes() not in sealed
    assert shamir.open_share(sealed, holder) == share
    with pytest.raises(DecryptionError, match="not sealed to this key"):
        shamir.open_share(sealed, other)


def test_a_new_opening_key_is_split_among_holders_and_rebuilt_by_any_two() -> None:
    holders = [sm2.generate_private_key() for _ in range(3)]
    public, sealed = shamir.split_new_opening_key(
        threshold=2, holders=[h.public_key() for h in holders]
    )
    assert len(sealed) == 3
    opened = [shamir.open_share(c, h) for c, h in zip(sealed, holders, strict=True)]
    for pair in itertools.combinations(opened, 2):
        key = shamir.reconstruct_opening_key(pair, expected_public_key=public)
        assert key.public_key() == public
        assert key.decrypt(public.encrypt(b"content key")) == b"content key"


def test_rebuilding_refuses_shares_that_give_another_public_key() -> None:
    holders = [sm2.generate_private_key() for _ in range(3)]
    public, sealed = shamir.split_new_opening_key(
        threshold=2, holders=[h.public_key() for h in holders]
    )
    opened = [shamir.open_share(c, h) for c, h in zip(sealed, holders, strict=True)]
    other_public = sm2.generate_private_key().public_key()
    with pytest.raises(ShareError, match="do not reconstruct the opening key"):
        shamir.reconstruct_opening_key(opened[:2], expected_public_key=other_public)
    modified = Share(opened[0].index, (opened[0].value + 1) % curve.N)
    with pytest.raises(ShareError, match="do not reconstruct the opening key"):
        shamir.reconstruct_opening_key([modified, opened[1]], expected_public_key=public)
    with pytest.raises(ShareError, match="at least 2 shares"):
        shamir.reconstruct_opening_key(opened[:1], expected_public_key=public)


def test_the_same_holder_key_twice_is_refused() -> None:
    holder = sm2.generate_private_key().public_key()
    with pytest.raises(ShareError, match="different key"):
        shamir.split_new_opening_key(threshold=2, holders=[holder, holder])
