"""SM4 block cipher (GB/T 32907-2016) in GCM mode (RFC 8998), through OpenSSL via ``cryptography``.

GCM needs a nonce that is never reused with the same key: reuse reveals the XOR of the
plaintexts and lets an attacker forge tags. Use :func:`new_key` and :func:`new_nonce`, or a
counter that cannot repeat.

The streaming decryptor hands out plaintext before the tag is checked (that is what
constant memory means); callers must not act on that plaintext until ``finalize(tag)``
returns without raising.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import DecryptionError, MalformedData

KEY_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
BLOCK_SIZE = 16


def new_key() -> bytes:
    """Return a fresh random 16-byte SM4 key from the OS CSPRNG."""
    return secrets.token_bytes(KEY_SIZE)


def new_nonce() -> bytes:
    """Return a fresh random 12-byte GCM nonce from the OS CSPRNG."""
    return secrets.token_bytes(NONCE_SIZE)


def _check_key_nonce(key: bytes, nonce: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"SM4 key must be {KEY_SIZE} bytes, got {len(key)}")
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"SM4-GCM nonce must be {NONCE_SIZE} bytes, got {len(nonce)}")


class GCMEncryptor:
    """Incremental SM4-GCM encryption: ``update()`` any number of times, then ``finalize()``."""

    __slots__ = ("_ctx", "_tag")

    def __init__(self, key: bytes, nonce: bytes, aad: bytes = b"") -> None:
        _check_key_nonce(key, nonce)
        self._ctx = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        if aad:
            self._ctx.authenticate_additional_data(aad)
        self._tag: bytes | None = None

    def update(self, chunk: bytes | bytearray | memoryview) -> bytes:
        return self._ctx.update(chunk)

    def update_into(
        self, chunk: bytes | bytearray | memoryview, out: bytearray | memoryview
    ) -> int:
        """Encrypt into a caller-owned buffer of at least ``len(chunk) + 15`` bytes."""
        return self._ctx.update_into(chunk, out)

    def finalize(self) -> bytes:
        """Finish and return the 16-byte authentication tag."""
        self._ctx.finalize()
        self._tag = self._ctx.tag
        return self._tag

    def __repr__(self) -> str:
        return f"<GCMEncryptor finalized={self._tag is not None}>"


class GCMDecryptor:
    """Incremental SM4-GCM decryption; ``finalize(tag)`` raises DecryptionError if forged."""

    __slots__ = ("_ctx",)

    def __init__(self, key: bytes, nonce: bytes, aad: bytes = b"") -> None:
        _check_key_nonce(key, nonce)
        self._ctx = Cipher(algorithms.SM4(key), modes.GCM(nonce)).decryptor()
        if aad:
            self._ctx.authenticate_additional_data(aad)

    def update(self, chunk: bytes | bytearray | memoryview) -> bytes:
        return self._ctx.update(chunk)

    def update_into(
        self, chunk: bytes | bytearray | memoryview, out: bytearray | memoryview
    ) -> int:
        return self._ctx.update_into(chunk, out)

    def finalize(self, tag: bytes) -> None:
        if len(tag) != TAG_SIZE:
            raise MalformedData(f"SM4-GCM tag must be {TAG_SIZE} bytes, got {len(tag)}")
        try:
            self._ctx.finalize_with_tag(tag)
        except InvalidTag:
            raise DecryptionError(
                "SM4-GCM authentication failed: the tag does not match "
                "(wrong key, nonce or AAD, or the data was modified)"
            ) from None

    def __repr__(self) -> str:
        return "<GCMDecryptor>"


def gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """Encrypt and return ``ciphertext || tag`` (tag is the last 16 bytes)."""
    enc = GCMEncryptor(key, nonce, aad)
    body = enc.update(plaintext)
    return body + enc.finalize()


def gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes = b"") -> bytes:
    """Decrypt ``ciphertext || tag``; raise DecryptionError if authentication fails."""
    if len(data) < TAG_SIZE:
        raise MalformedData(
            f"SM4-GCM data must hold at least the {TAG_SIZE}-byte tag, got {len(data)} bytes"
        )
    dec = GCMDecryptor(key, nonce, aad)
    body = dec.update(data[:-TAG_SIZE])
    dec.finalize(data[-TAG_SIZE:])
    return body


def ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """Encrypt exactly one 16-byte block. Only for the GB/T 32907 test vector: never for data."""
    if len(key) != KEY_SIZE:
        raise ValueError(f"SM4 key must be {KEY_SIZE} bytes, got {len(key)}")
    if len(block) != BLOCK_SIZE:
        raise ValueError(f"SM4 block must be {BLOCK_SIZE} bytes, got {len(block)}")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305  # nosec B305 # one block, test vector
    return enc.update(block) + enc.finalize()
