from __future__ import annotations

import os

import pytest

from ggzy_core.gm.errors import DecryptionError, MalformedData
from ggzy_core.gm.sm4 import (
    TAG_SIZE,
    GCMDecryptor,
    GCMEncryptor,
    ecb_encrypt_block,
    gcm_decrypt,
    gcm_encrypt,
    new_key,
    new_nonce,
)

# GB/T 32907-2016 Appendix A, example 1.
STANDARD_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
STANDARD_CIPHERTEXT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")

# RFC 8998 Appendix A.1, SM4-GCM.
RFC8998_NONCE = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_it_encrypts_the_standard_ecb_example_block() -> None:
    assert ecb_encrypt_block(STANDARD_KEY, STANDARD_KEY) == STANDARD_CIPHERTEXT


def test_gcm_matches_the_rfc_8998_example() -> None:
    sealed = gcm_encrypt(STANDARD_KEY, RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD)
    assert sealed == RFC8998_CIPHERTEXT + RFC8998_TAG
    assert gcm_decrypt(STANDARD_KEY, RFC8998_NONCE, sealed, RFC8998_AAD) == RFC8998_PLAINTEXT


def test_streaming_encryption_equals_one_shot_encryption() -> None:
    key, nonce, data = new_key(), new_nonce(), os.urandom(300_001)
    enc = GCMEncryptor(key, nonce, b"manifest")
    parts = [enc.update(data[i : i + 65536]) for i in range(0, len(data), 65536)]
    tag = enc.finalize()
    assert b"".join(parts) + tag == gcm_encrypt(key, nonce, data, b"manifest")
    assert len(tag) == TAG_SIZE


def test_streaming_decryption_accepts_the_right_tag() -> None:
    key, nonce, data = new_key(), new_nonce(), os.urandom(100_000)
    sealed = gcm_encrypt(key, nonce, data, b"aad")
    dec = GCMDecryptor(key, nonce, b"aad")
    body = dec.update(sealed[:-TAG_SIZE])
    dec.finalize(sealed[-TAG_SIZE:])
    assert body == data


def test_update_into_writes_the_same_ciphertext_into_a_caller_buffer() -> None:
    key, nonce, data = new_key(), new_nonce(), os.urandom(4096)
    enc = GCMEncryptor(key, nonce)
    out = bytearray(len(data) + 15)
    n = enc.update_into(data, out)
    tag = enc.finalize()
    assert bytes(out[:n]) + tag == gcm_encrypt(key, nonce, data)


@pytest.mark.parametrize("where", ["ciphertext", "tag"])
def test_it_detects_a_flipped_bit(where: str) -> None:
    key, nonce = new_key(), new_nonce()
    sealed = bytearray(gcm_encrypt(key, nonce, b"bid price 1,000,000"))
    sealed[0 if where == "ciphertext" else -1] ^= 1
    with pytest.raises(DecryptionError, match="authentication failed"):
        gcm_decrypt(key, nonce, bytes(sealed))


def test_it_detects_changed_associated_data() -> None:
    key, nonce = new_key(), new_nonce()
    sealed = gcm_encrypt(key, nonce, b"body", b"section 1")
    with pytest.raises(DecryptionError):
        gcm_decrypt(key, nonce, sealed, b"section 2")


def test_it_rejects_the_wrong_key() -> None:
    nonce = new_nonce()
    sealed = gcm_encrypt(new_key(), nonce, b"body")
    with pytest.raises(DecryptionError):
        gcm_decrypt(new_key(), nonce, sealed)


def test_the_streaming_decryptor_rejects_a_forged_tag() -> None:
    key, nonce = new_key(), new_nonce()
    sealed = gcm_encrypt(key, nonce, b"x" * 1000)
    dec = GCMDecryptor(key, nonce)
    dec.update(sealed[:-TAG_SIZE])
    with pytest.raises(DecryptionError):
        dec.finalize(bytes(TAG_SIZE))


def test_it_refuses_data_shorter_than_a_tag() -> None:
    with pytest.raises(MalformedData, match="tag"):
        gcm_decrypt(new_key(), new_nonce(), b"short")


@pytest.mark.parametrize(
    ("key_size", "nonce_size", "message"), [(15, 12, "key"), (16, 8, "nonce"), (32, 12, "key")]
)
def test_it_refuses_keys_and_nonces_of_the_wrong_size(
    key_size: int, nonce_size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        gcm_encrypt(bytes(key_size), bytes(nonce_size), b"data")


def test_fresh_keys_and_nonces_differ() -> None:
    assert new_key() != new_key()
    assert new_nonce() != new_nonce()
