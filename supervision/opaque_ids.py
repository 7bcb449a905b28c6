"""Opaque ids for ledger rows: an SM4 permutation of the sequence, keyed from
``SECRET_KEY``. A sequence counts the entries before it, hidden ones included [E21]; an
opaque id names one entry without telling where it stands. The ledger admin addresses rows
by them and the regulator's portal links to entries with them.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import models

from supervision.models import LedgerCheckpoint, LedgerEntry

_KIND: dict[type[models.Model], bytes] = {
    LedgerEntry: b"entry\0\0\0",
    LedgerCheckpoint: b"checkpt\0",
}


@functools.cache
def _cipher(secret: str) -> Cipher[modes.ECB]:
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(b"ggzy ledger admin object ids")
    # One block per id: ECB of a single block is the block cipher itself, a keyed
    # permutation (no data is encrypted here, only a number is made unguessable).
    key = mac.finalize()[:16]
    return Cipher(algorithms.SM4(key), modes.ECB())  # noqa: S305  # nosec B305


def opaque_id(model: type[models.Model], sequence: int) -> str:
    block = _KIND[model] + sequence.to_bytes(8, "big")
    encryptor = _cipher(settings.SECRET_KEY).encryptor()
    return (encryptor.update(block) + encryptor.finalize()).hex()


def sequence_of(model: type[models.Model], object_id: str) -> int | None:
    """The sequence behind an opaque id, or ``None`` for anything that is not one."""
    try:
        raw = bytes.fromhex(object_id)
    except ValueError:
        return None
    if len(raw) != 16:
        return None
    decryptor = _cipher(settings.SECRET_KEY).decryptor()
    block = decryptor.update(raw) + decryptor.finalize()
    if block[:8] != _KIND[model]:
        return None
    return int.from_bytes(block[8:], "big")
