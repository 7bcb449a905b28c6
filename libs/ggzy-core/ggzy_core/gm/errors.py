"""Errors raised by :mod:`ggzy_core.gm`.

Every message names the rule that failed. No message ever contains key material: callers
may log these errors and show them to users.
"""

from __future__ import annotations


class GMError(Exception):
    """Base class of every error raised by the national-crypto library."""


class InvalidKey(GMError):
    """The data is not a usable SM2 key (bad encoding, off-curve point, scalar out of range)."""


class NotSM2Key(InvalidKey):
    """The data is a well-formed key, but for another algorithm or curve (RSA, P-256, ...)."""


class WrongPassword(GMError):
    """An encrypted private key needs a password, or the password given does not open it."""


class InvalidSignature(GMError):
    """A signature is malformed or does not verify."""


class DecryptionError(GMError):
    """Ciphertext failed authentication (SM4-GCM tag, SM2 C3 hash) or cannot be decrypted."""


class MalformedData(GMError):
    """A signature, ciphertext or other structure is not the DER/size the standard requires."""
