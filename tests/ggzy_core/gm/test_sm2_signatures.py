from __future__ import annotations

import io
import os

import pytest
from gmssl.sm2 import CryptSM2

from ggzy_core.gm import sm2
from ggzy_core.gm.curve import N
from ggzy_core.gm.der import decode_signature, encode_signature
from ggzy_core.gm.errors import InvalidSignature
from ggzy_core.gm.sm3 import update_from_stream

from .helpers import key_with_x_hex_prefix


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


def test_a_signature_verifies_with_the_signers_public_key(key: sm2.SM2PrivateKey) -> None:
    signature = key.sign(b"tender document v3")
    assert key.public_key().verify(b"tender document v3", signature)
    key.public_key().verify_or_raise(b"tender document v3", signature)


def test_two_signatures_of_the_same_message_differ(key: sm2.SM2PrivateKey) -> None:
    first, second = key.sign(b"same"), key.sign(b"same")
    assert first != second
    assert decode_signature(first)[0] != decode_signature(second)[0]


def test_it_rejects_a_tampered_message(key: sm2.SM2PrivateKey) -> None:
    signature = key.sign(b"price: 1000000")
    assert not key.public_key().verify(b"price: 1000001", signature)
    with pytest.raises(InvalidSignature, match="does not match"):
        key.public_key().verify_or_raise(b"price: 1000001", signature)


def test_it_rejects_a_tampered_signature(key: sm2.SM2PrivateKey) -> None:
    r, s = decode_signature(key.sign(b"message"))
    assert not key.public_key().verify(b"message", encode_signature(r, s ^ 1))
    assert not key.public_key().verify(b"message", encode_signature(r ^ 1, s))


def test_it_rejects_a_signature_by_another_key(key: sm2.SM2PrivateKey) -> None:
    other = sm2.generate_private_key()
    assert not other.public_key().verify(b"message", key.sign(b"message"))


def test_it_rejects_a_signature_made_with_another_distinguishing_id(
    key: sm2.SM2PrivateKey,
) -> None:
    signature = key.sign(b"message", id=b"ALICE123@YAHOO.COM")
    assert key.public_key().verify(b"message", signature, id=b"ALICE123@YAHOO.COM")
    assert not key.public_key().verify(b"message", signature)


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), (N, 1), (1, N), (N - 1, 1)],
    ids=["r=0", "s=0", "r=n", "s=n", "t=0"],
)
def test_it_rejects_r_and_s_outside_the_allowed_range(
    key: sm2.SM2PrivateKey, r: int, s: int
) -> None:
    signature = encode_signature(r, s)
    assert not key.public_key().verify(b"message", signature)
    with pytest.raises(InvalidSignature, match="rejected"):
        key.public_key().verify_or_raise(b"message", signature)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda der: der + b"\x00",
        lambda der: der[:-1],
        lambda der: b"\x30\x81" + der[1:],  # long-form length where short form is required
        lambda der: der[:2] + b"\x02\x21\x00" + der[4:],  # non-minimal INTEGER r
        lambda der: bytes.fromhex("a0") + der[1:],  # wrong outer tag
    ],
    ids=["trailing-byte", "truncated", "long-length", "padded-integer", "wrong-tag"],
)
def test_it_rejects_signatures_that_are_not_strict_der(key: sm2.SM2PrivateKey, mutate) -> None:
    signature = key.sign(b"message")
    assert key.public_key().verify(b"message", signature)
    assert not key.public_key().verify(b"message", mutate(signature))


def test_a_raw_r_s_concatenation_is_not_accepted_as_a_signature(key: sm2.SM2PrivateKey) -> None:
    r, s = decode_signature(key.sign(b"message"))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    with pytest.raises(InvalidSignature, match="DER"):
        key.public_key().verify_or_raise(b"message", raw)


def test_signing_a_streamed_digest_equals_signing_the_whole_message(
    key: sm2.SM2PrivateKey,
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    hasher = key.public_key().message_hasher()
    update_from_stream(hasher, io.BytesIO(data), chunk_size=65536)
    digest = hasher.digest()
    assert digest == key.public_key().message_digest(data)
    assert key.public_key().verify(data, key.sign_digest(digest))
    assert key.public_key().verify_digest(digest, key.sign(data))


def test_it_refuses_a_digest_that_is_not_32_bytes(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        key.sign_digest(b"\x00" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        key.public_key().verify_digest(b"\x00" * 33, key.sign(b"x"))


def test_gmssl_itself_corrupts_a_public_key_whose_x_starts_with_04() -> None:
    """Why the wrapper never passes public keys through gmssl's constructor."""
    key = key_with_x_hex_prefix("04")
    x_hex = f"{key.public_key().x:064x}{key.public_key().y:064x}"
    assert CryptSM2(private_key="", public_key="04" + x_hex).public_key != x_hex
    assert CryptSM2(private_key="", public_key=x_hex).public_key != x_hex


@pytest.mark.parametrize("prefix", ["04", "0", "4"])
def test_it_signs_and_verifies_with_keys_whose_x_starts_with_0_or_4(prefix: str) -> None:
    key = key_with_x_hex_prefix(prefix)
    signature = key.sign(b"regression: gmssl lstrip('04')")
    assert key.public_key().verify(b"regression: gmssl lstrip('04')", signature)
    reloaded = sm2.load_public_key(key.public_key().to_pem())
    assert reloaded.verify(b"regression: gmssl lstrip('04')", signature)
    assert key.decrypt(reloaded.encrypt(b"content key")) == b"content key"


def test_a_public_key_in_steady_use_still_verifies_and_rejects_correctly(
    key: sm2.SM2PrivateKey,
) -> None:
    public = sm2.load_public_key(key.public_key().to_pem())
    signature = key.sign(b"ledger checkpoint")
    results = [public.verify(b"ledger checkpoint", signature) for _ in range(80)]
    assert public._table is not None, "a precomputed table should exist after 64 uses"
    assert all(results)
    assert public.verify(b"ledger checkpoint", key.sign(b"ledger checkpoint"))
    assert not public.verify(b"ledger checkpoinT", signature)
    assert key.decrypt(public.encrypt(b"k" * 16)) == b"k" * 16
