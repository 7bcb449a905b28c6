"""Fuzzing the manifest reader (the envelope's cleartext, parsed by the server without a key)
and the opening-sheet codec.

Property: Manifest.from_bytes and decode_sheet refuse with MalformedEnvelope, normalise_sheet
and encode_sheet with SealInputError (a ValueError), never another exception; what the
sheet codec accepts round-trips; memory stays within a bound per input byte.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ggzy_core.gm.envelope import MalformedEnvelope, Manifest, SealInputError
from ggzy_core.gm.envelope.manifest import MAX_MANIFEST_SIZE, canonical_json
from ggzy_core.gm.envelope.sheet import decode_sheet, encode_sheet, normalise_sheet
from tests.fuzz.bounds import bounded_memory, examples, outcome
from tests.fuzz.test_envelope_reader import _original

pytestmark = pytest.mark.fuzz

PER_BYTE, CONSTANT = 32, 1 << 20
DEEP = b"[" * 100_000 + b"]" * 100_000  # well inside the manifest's 256 KiB

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@cache
def _manifest() -> dict[str, Any]:
    data = _original()
    return dict(json.loads(data[12 : 12 + int.from_bytes(data[8:12], "big")]))


@st.composite
def mutated_manifests(draw: st.DrawFn) -> bytes:
    """The real manifest with one field replaced, removed or added, canonically encoded
    (so the strict reader's later checks are reached, not only its canonical-form check)."""
    doc = json.loads(json.dumps(_manifest()))
    node = doc
    path = [draw(st.sampled_from(sorted(node)))]
    while isinstance(node[path[-1]], dict | list) and node[path[-1]] and draw(st.booleans()):
        node = node[path[-1]]
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        path.append(draw(st.sampled_from(keys)))
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        node[path[-1]] = draw(json_values)
    elif action == "remove":
        del node[path[-1]]
    elif isinstance(node, dict):
        node[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    else:
        node.append(draw(json_values))
    return canonical_json(doc)


def _read_manifest(data: bytes) -> object:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        return outcome((MalformedEnvelope,), lambda: Manifest.from_bytes(data))


def test_the_real_manifest_reads() -> None:
    assert isinstance(Manifest.from_bytes(canonical_json(_manifest())), Manifest)


@examples(300)
@given(st.binary(max_size=2048))
@example(DEEP)
@example(b'{"a":' * 40_000 + b"1" + b"}" * 40_000)
@example(b"1" * 5000)
@example(b'"\\ud800"')
@example(b"{}")
@example(b"[]")
def test_the_manifest_reader_refuses_any_bytes_with_a_reason(data: bytes) -> None:
    assert len(data) <= MAX_MANIFEST_SIZE
    result = _read_manifest(data)
    assert isinstance(result, MalformedEnvelope) or data == canonical_json(_manifest())


@examples(200)
@given(mutated_manifests())
def test_the_manifest_reader_refuses_any_changed_field_with_a_reason(data: bytes) -> None:
    result = _read_manifest(data)
    if isinstance(result, Manifest):  # a change the format allows (a different valid value)
        assert result.raw == data


@examples(300)
@given(st.binary(max_size=2048))
@example(DEEP[:60_000])
@example(b'{"price":"1","x":' + b"[" * 30_000 + b"]" * 30_000 + b"}")
@example(b'{"price":1e999999}')
@example(b'{"price":"1","price":"2"}')
def test_the_sheet_decoder_refuses_any_bytes_with_a_reason(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        result = outcome((MalformedEnvelope,), lambda: decode_sheet(data))
    if not isinstance(result, BaseException):
        assert "price" in result


sheet_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.decimals(allow_nan=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=70) | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)
sheets = st.dictionaries(
    st.sampled_from(["price", "duration_days", "quality", "project_manager"])
    | st.text(max_size=70),
    sheet_values,
    max_size=6,
) | st.fixed_dictionaries(
    {
        "price": st.decimals(allow_nan=False, allow_infinity=False)
        | st.integers()
        | st.text(max_size=20)
    }
)


@examples(250)
@given(sheets)
@example({"price": "12345678.90"})
@example({"price": Decimal("1E+5")})
@example({"price": "0.001"})
@example({"price": "1", "x": "a" * 70_000})
def test_the_sheet_encoder_refuses_with_a_seal_input_error_and_what_it_seals_reads_back(
    sheet: dict[Any, Any],
) -> None:
    normalised = outcome((SealInputError,), lambda: normalise_sheet(sheet))
    encoded = outcome((SealInputError,), lambda: encode_sheet(sheet))
    if isinstance(encoded, bytes):
        assert decode_sheet(encoded) == normalised
    assert isinstance(SealInputError("a", "b"), ValueError)  # documented: a ValueError
