from __future__ import annotations

import os

import pytest

from ggzy_core.gm import sm2
from ggzy_core.gm.curve import GX, GY, P
from ggzy_core.gm.der import decode_ciphertext, encode_ciphertext
from ggzy_core.gm.errors import DecryptionError, MalformedData


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


def test_it_decrypts_what_it_encrypted(key: sm2.SM2PrivateKey) -> None:
    content_key = os.urandom(16)
    assert key.decrypt(key.public_key().encrypt(content_key)) == content_key


def test_it_round_trips_a_large_plaintext(key: sm2.SM2PrivateKey) -> None:
    data = os.urandom(100_000)
    assert key.decrypt(key.public_key().encrypt(data)) == data


def test_encrypting_twice_gives_different_ciphertexts(key: sm2.SM2PrivateKey) -> None:
    first = key.public_key().encrypt(b"same")
    second = key.public_key().encrypt(b"same")
    assert first != second
    assert decode_ciphertext(first)[:2] != decode_ciphertext(second)[:2]


def test_the_ciphertext_is_gm_t_0009_der_in_c1_c3_c2_order(key: sm2.SM2PrivateKey) -> None:
    x, y, c3, c2 = decode_ciphertext(key.public_key().encrypt(b"sixteen byte key"))
    assert (
        y * y
        - (x * x * x - 3 * x + 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93)
    ) % P == 0
    assert len(c3) == 32
    assert len(c2) == 16


def test_it_rejects_a_ciphertext_whose_c3_was_changed(key: sm2.SM2PrivateKey) -> None:
    x, y, c3, c2 = decode_ciphertext(key.public_key().encrypt(b"secret"))
    bad = encode_ciphertext(x, y, bytes([c3[0] ^ 1]) + c3[1:], c2)
    with pytest.raises(DecryptionError, match="C3 does not match"):
        key.decrypt(bad)


def test_it_rejects_a_ciphertext_whose_c2_was_changed(key: sm2.SM2PrivateKey) -> None:
    x, y, c3, c2 = decode_ciphertext(key.public_key().encrypt(b"secret"))
    with pytest.raises(DecryptionError):
        key.decrypt(encode_ciphertext(x, y, c3, bytes([c2[0] ^ 1]) + c2[1:]))


def test_it_rejects_a_ciphertext_for_another_key(key: sm2.SM2PrivateKey) -> None:
    other = sm2.generate_private_key()
    with pytest.raises(DecryptionError):
        key.decrypt(other.public_key().encrypt(b"secret"))


def test_it_refuses_a_c1_point_off_the_curve(key: sm2.SM2PrivateKey) -> None:
    _x, _y, c3, c2 = decode_ciphertext(key.public_key().encrypt(b"secret"))
    with pytest.raises(DecryptionError, match="not on the SM2 curve"):
        key.decrypt(encode_ciphertext(GX, GY + 1, c3, c2))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        encode_ciphertext(GX, GY, b"\x00" * 31, b"x"),
        encode_ciphertext(GX, GY, b"\x00" * 32, b""),
    ],
    ids=["empty", "garbage", "short-c3", "empty-c2"],
)
def test_it_rejects_malformed_ciphertexts(key: sm2.SM2PrivateKey, data: bytes) -> None:
    with pytest.raises(MalformedData):
        key.decrypt(data)


def test_it_rejects_trailing_bytes_after_the_ciphertext(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(MalformedData, match="trailing"):
        key.decrypt(key.public_key().encrypt(b"secret") + b"\x00")


def test_it_refuses_to_encrypt_an_empty_plaintext(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(ValueError, match="at least one byte"):
        key.public_key().encrypt(b"")
