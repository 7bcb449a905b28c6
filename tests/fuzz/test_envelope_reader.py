"""Fuzzing the envelope reader with mutated real envelopes (bytes flipped or set, lengths
rewritten, cut short, extended, bytes inserted or deleted).

Property: read_header, verify and unseal answer only with the envelope's documented errors
(EnvelopeError: MalformedEnvelope, EnvelopeSignatureError, TamperedEnvelope, UnsafeArchive),
never another exception; anything they accept with the bidder's key is the original byte for
byte; a failed unseal leaves nothing on disk; memory stays within a bound per input byte.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import tempfile
from functools import cache
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from hypothesis import example, given
from hypothesis import strategies as st

from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    EnvelopeError,
    EnvelopeSignatureError,
    MalformedEnvelope,
    UnsealTargetError,
    read_header,
    read_manifest,
    unseal,
    unwrap_content_key,
    verify,
)
from tests.fuzz.bounds import bounded_memory, examples, outcome
from tests.ggzy_core.gm.envelope_helpers import seal_to_bytes, split_envelope

pytestmark = pytest.mark.fuzz

# Memory: a reader holds one chunk (≤ 1 KiB here) and the manifest; pyasn1, tarfile and
# the SM3 thread add a fixed amount. 16 bytes per input byte + 2 MiB is far above what a
# correct reader needs and far below what an unbounded one would take.
PER_BYTE, CONSTANT = 16, 2 << 20


@cache
def _bidder() -> sm2.SM2PrivateKey:
    # A fixed key: with _sealed's fixed clock and randomness, the same envelope every run.
    return sm2.SM2PrivateKey(0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988)


@cache
def _sealed() -> tuple[bytes, int]:
    """The same envelope bytes on every run (fixed clock, seeded randomness), so that a
    derandomized run mutates the same input everywhere and a failure reproduces."""
    seeded = random.Random(20260101)
    with (
        tempfile.TemporaryDirectory() as folder,
        time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False),
        mock.patch("secrets.token_bytes", lambda size: seeded.randbytes(size)),
        mock.patch("secrets.randbelow", lambda bound: seeded.randrange(bound)),
    ):
        document = Path(folder) / "proposal.pdf"
        document.write_bytes(bytes(range(256)) * 12)  # 3 KiB in a tar of 1 KiB chunks
        os.utime(document, (1_767_225_600, 1_767_225_600))  # the tar header keeps the mtime
        data, result = seal_to_bytes([document], _bidder(), [], chunk_size=1024)
    return data, result.manifest.body_chunks


def _original() -> bytes:
    return _sealed()[0]


@cache
def _content_key() -> bytes:
    return unwrap_content_key(read_manifest(io.BytesIO(_original())), _bidder())


@cache
def _length_fields() -> list[tuple[int, int]]:
    """(offset, width) of every length field of the original: the reader's trust points."""
    original = _original()
    parts = split_envelope(original, body_chunks=_sealed()[1])
    fields, position = [], 8
    for part in (parts.manifest, parts.sheet, *parts.chunks):
        fields.append((position, 4))
        position += 4 + len(part)
    fields.append((position, 2))
    return fields


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    data = bytearray(_original())
    manifest_end = 12 + int.from_bytes(data[8:12], "big")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["flip", "set", "length", "truncate", "extend", "insert", "delete"])
        )
        # Half the edits land in the cleartext header (magic, manifest), which the server
        # parses without a key; the rest anywhere.
        high = manifest_end if draw(st.booleans()) else len(data)
        at = draw(st.integers(0, max(0, min(high, len(data)) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "length":
            offset, width = draw(st.sampled_from(_length_fields()))
            value = draw(
                st.one_of(
                    st.integers(0, 2 ** (8 * width) - 1),
                    st.sampled_from([0, 1, 2, 1023, 1040, 2**31]),
                )
            )
            data[offset : offset + width] = (
                value.to_bytes(width, "big")
                if value < 2 ** (8 * width)
                else data[offset : offset + width]
            )
        elif kind == "truncate":
            del data[at:]
        elif kind == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


def test_the_original_envelope_opens() -> None:
    """The fuzzers start from a valid envelope (or their refusals would prove nothing)."""
    data = _original()
    assert verify(io.BytesIO(data), _bidder().public_key()).signature_verified
    with tempfile.TemporaryDirectory() as folder:
        names = unseal(io.BytesIO(data), _content_key(), Path(folder) / "out")
        assert [name.name for name in names] == ["proposal.pdf"]


@examples(300)
@given(mutated_envelopes())
@example(b"")
@example(b"GGZYBID1")
@example(b"GGZYBID1\xff\xff\xff\xff")
@example(b"GGZYBID1\x00\x00\x00\x02{}")
# Found by fuzzing: a manifest nested 100 000 deep raised RecursionError (a 500 on upload).
@example(b"GGZYBID1" + (200_000).to_bytes(4, "big") + b"[" * 100_000 + b"]" * 100_000)
def test_read_header_refuses_any_mutation_with_an_envelope_error(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        result = outcome((EnvelopeError,), lambda: read_header(io.BytesIO(data)))
    if not isinstance(result, BaseException):
        # read_header checks structure, not the signature: another valid manifest (a hex
        # digit changed) is read as what it says; verify() is what refuses it.
        size = len(result.manifest.raw)
        assert data[12 : 12 + size] == result.manifest.raw
        assert len(result.sheet) == result.manifest.sheet_size


@examples(300)
@given(mutated_envelopes())
def test_verify_accepts_only_the_original_and_refuses_the_rest_with_a_reason(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        result = outcome(
            (MalformedEnvelope, EnvelopeSignatureError),
            lambda: verify(io.BytesIO(data), _bidder().public_key()),
        )
    if not isinstance(result, BaseException):
        assert data == _original()
    else:
        assert " / " in str(result)  # Chinese / English, shown to the bidder as is


@examples(300)
@given(mutated_envelopes())
def test_verify_without_a_key_checks_the_structure_only_with_envelope_errors(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        result = outcome(
            (MalformedEnvelope, EnvelopeSignatureError), lambda: verify(io.BytesIO(data))
        )
    if not isinstance(result, BaseException):
        assert not result.signature_verified
        assert result.size == len(data)


@examples(200)
@given(mutated_envelopes())
def test_unseal_opens_only_the_original_and_leaves_nothing_behind_otherwise(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bid"
        with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
            result = outcome(
                (EnvelopeError,),
                lambda: unseal(
                    io.BytesIO(data), _content_key(), out, signer=_bidder().public_key()
                ),
            )
        if isinstance(result, BaseException):
            assert not isinstance(result, UnsealTargetError), result
            assert os.listdir(folder) == []  # neither the output nor the staging directory
        else:
            assert data == _original()
            assert (out / "proposal.pdf").read_bytes() == bytes(range(256)) * 12
