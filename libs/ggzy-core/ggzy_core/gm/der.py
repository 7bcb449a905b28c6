"""Strict DER for the two SM2 wire structures: the signature and the GM/T 0009 ciphertext.

Decoding is strict on purpose: a signature or ciphertext must be the one canonical DER
encoding (minimal lengths and integers, no trailing bytes), so that one logical value has
exactly one byte form. We decode with pyasn1 and require that re-encoding gives back the
input byte for byte; anything else is MalformedData.
"""

from __future__ import annotations

from typing import TypeVar

from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, univ

from .errors import MalformedData

HASH_SIZE = 32


class SM2Signature(univ.Sequence):
    """GB/T 35276 / GM/T 0009: ``SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }``."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("r", univ.Integer()),
        namedtype.NamedType("s", univ.Integer()),
    )


class SM2Cipher(univ.Sequence):
    """GM/T 0009: ``SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, cipherText OCTET }``."""

    componentType = namedtype.NamedTypes(
        namedtype.NamedType("xCoordinate", univ.Integer()),
        namedtype.NamedType("yCoordinate", univ.Integer()),
        namedtype.NamedType("hash", univ.OctetString()),
        namedtype.NamedType("cipherText", univ.OctetString()),
    )


_S = TypeVar("_S", bound=univ.Sequence)


def _decode_canonical(data: bytes, spec: _S, what: str) -> _S:
    try:
        value, rest = der_decoder.decode(bytes(data), asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError):
        raise MalformedData(f"{what} is not valid DER of the required ASN.1 structure") from None
    if rest:
        raise MalformedData(f"{what} has {len(rest)} trailing bytes after the DER structure")
    try:
        canonical = der_encoder.encode(value) == bytes(data)
    except PyAsn1Error:
        canonical = False
    if not canonical:
        raise MalformedData(f"{what} is not in canonical DER (non-minimal length or integer)")
    return value


def encode_signature(r: int, s: int) -> bytes:
    sig = SM2Signature()
    sig["r"] = r
    sig["s"] = s
    return bytes(der_encoder.encode(sig))


def decode_signature(data: bytes) -> tuple[int, int]:
    """Return (r, s); only the DER encoding and sign are checked, ranges are the verifier's job."""
    sig = _decode_canonical(data, SM2Signature(), "SM2 signature")
    r, s = int(sig["r"]), int(sig["s"])
    if r <= 0 or s <= 0:
        raise MalformedData("SM2 signature rejected: r and s must be positive integers")
    return r, s


def encode_ciphertext(x: int, y: int, c3: bytes, c2: bytes) -> bytes:
    ct = SM2Cipher()
    ct["xCoordinate"] = x
    ct["yCoordinate"] = y
    ct["hash"] = c3
    ct["cipherText"] = c2
    return bytes(der_encoder.encode(ct))


def decode_ciphertext(data: bytes) -> tuple[int, int, bytes, bytes]:
    """Return (x1, y1, C3, C2) from GM/T 0009 DER (the C1C3C2 field order)."""
    ct = _decode_canonical(data, SM2Cipher(), "SM2 ciphertext")
    x, y = int(ct["xCoordinate"]), int(ct["yCoordinate"])
    c3, c2 = bytes(ct["hash"]), bytes(ct["cipherText"])
    if x < 0 or y < 0:
        raise MalformedData("SM2 ciphertext rejected: C1 coordinates must be non-negative")
    if len(c3) != HASH_SIZE:
        raise MalformedData(f"SM2 ciphertext rejected: C3 must be {HASH_SIZE} bytes, got {len(c3)}")
    if not c2:
        raise MalformedData("SM2 ciphertext rejected: C2 is empty")
    return x, y, c3, c2
