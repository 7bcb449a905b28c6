from __future__ import annotations

import io
import os

import pytest

from ggzy_core.gm.sm3 import SM3, sm3, sm3_hex, sm3_stream, update_from_stream

# GB/T 32905-2016 Appendix A.
ABC_DIGEST = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
ABCD16_DIGEST = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_it_hashes_the_standard_abc_example() -> None:
    assert sm3_hex(b"abc") == ABC_DIGEST
    assert sm3(b"abc") == bytes.fromhex(ABC_DIGEST)


def test_it_hashes_the_standard_64_byte_example() -> None:
    assert sm3_hex(b"abcd" * 16) == ABCD16_DIGEST


def test_the_streaming_hasher_matches_one_shot_hashing_across_chunk_boundaries() -> None:
    data = os.urandom(200_003)
    hasher = SM3()
    for start in range(0, len(data), 4097):
        hasher.update(data[start : start + 4097])
    assert hasher.digest() == sm3(data)
    assert hasher.hexdigest() == sm3_hex(data)


def test_digest_does_not_stop_the_hasher_from_taking_more_data() -> None:
    hasher = SM3(b"ab")
    first = hasher.digest()
    hasher.update(b"c")
    assert first == sm3(b"ab")
    assert hasher.hexdigest() == ABC_DIGEST


def test_a_copy_continues_independently_of_the_original() -> None:
    hasher = SM3(b"ab")
    branch = hasher.copy()
    branch.update(b"c")
    hasher.update(b"x")
    assert branch.hexdigest() == ABC_DIGEST
    assert hasher.digest() == sm3(b"abx")


def test_sm3_stream_hashes_a_file_in_small_chunks() -> None:
    data = os.urandom(100_000)
    assert sm3_stream(io.BytesIO(data), chunk_size=777) == sm3(data)


def test_it_streams_objects_that_only_offer_read() -> None:
    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self._inner = io.BytesIO(data)

        def read(self, size: int = -1) -> bytes:
            return self._inner.read(size)

    hasher = SM3()
    count = update_from_stream(hasher, ReadOnly(b"abcd" * 16), chunk_size=5)  # type: ignore[arg-type]
    assert count == 64
    assert hasher.hexdigest() == ABCD16_DIGEST


def test_it_refuses_a_non_positive_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        sm3_stream(io.BytesIO(b"abc"), chunk_size=0)
