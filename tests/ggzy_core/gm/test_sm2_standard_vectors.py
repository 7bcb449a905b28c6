"""GB/T 32918.5-2017 Annex A examples on the recommended curve, with the published nonce."""

from __future__ import annotations

from ggzy_core.gm import sm2
from ggzy_core.gm.der import encode_signature

from .helpers import (
    STANDARD_NONCE,
    STANDARD_PRIVATE_SCALAR,
    STANDARD_PUBLIC_X,
    STANDARD_PUBLIC_Y,
)

STANDARD_Z = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
STANDARD_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
STANDARD_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
STANDARD_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
STANDARD_CIPHERTEXT = bytes.fromhex(
    "307c022004ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73"
    "022100e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0"
    "042059983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766"
    "041321886ca989ca9c7d58087307ca93092d651efa"
)


def standard_key() -> sm2.SM2PrivateKey:
    return sm2.SM2PrivateKey(STANDARD_PRIVATE_SCALAR)


def test_it_derives_the_standard_public_key() -> None:
    public = standard_key().public_key()
    assert (public.x, public.y) == (STANDARD_PUBLIC_X, STANDARD_PUBLIC_Y)


def test_it_computes_the_standard_z_and_e_for_id_1234567812345678() -> None:
    public = standard_key().public_key()
    assert sm2.compute_z(public, b"1234567812345678").hex() == STANDARD_Z
    assert public.message_digest(b"message digest").hex() == STANDARD_E


def test_it_produces_the_standard_signature_with_the_published_nonce() -> None:
    key = standard_key()
    e = key.public_key().message_digest(b"message digest")
    assert sm2._sign_digest_with_nonce(key, e, STANDARD_NONCE) == (STANDARD_R, STANDARD_S)


def test_it_verifies_the_published_signature() -> None:
    signature = encode_signature(STANDARD_R, STANDARD_S)
    assert standard_key().public_key().verify(b"message digest", signature)
    assert not standard_key().public_key().verify(b"message digesT", signature)


def test_it_produces_the_standard_ciphertext_with_the_published_nonce() -> None:
    public = standard_key().public_key()
    assert sm2._encrypt_with_nonce(public, b"encryption standard", STANDARD_NONCE) == (
        STANDARD_CIPHERTEXT
    )


def test_it_decrypts_the_standard_ciphertext() -> None:
    assert standard_key().decrypt(STANDARD_CIPHERTEXT) == b"encryption standard"
