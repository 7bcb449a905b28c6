"""Fuzzing the tus headers (Upload-Length, Upload-Offset, Upload-Metadata).

Property: the parsers answer with a DomainError (a 400 with a bilingual reason) or a value,
never another exception; they accept exactly what tus 1.0 allows (a non-negative decimal
integer; comma-separated ``key base64`` pairs); and a request carrying any such header gets a
4xx or its success, never a 500, with nothing created when it is refused.
"""

from __future__ import annotations

import base64
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bidding import api
from bidding.models import Upload
from ggzy.errors import DomainError
from tests.bidding.conftest import Bidder, b64, bidders, section  # noqa: F401
from tests.fuzz.bounds import bounded_memory, examples, outcome
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.fuzz

# What a WSGI/ASGI server can hand Django: header bytes decoded as latin-1, no controls.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=200
)
metadata_keys = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20)


@examples(500)
@given(header_text)
@example("section é")  # found by fuzzing: non-ASCII base64 raised ValueError (a 500)
@example("section ÿÿÿÿ,idempotency_key YWJj")
@example("a,b,,c  ,")
@example("k =")
def test_upload_metadata_is_a_value_or_a_refusal_never_a_crash(header: str) -> None:
    with bounded_memory(len(header), per_byte=16, constant=64 << 10):
        result = outcome((DomainError,), lambda: api._metadata(header))
    if isinstance(result, DomainError):
        assert result.code == "invalid" and " / " in result.message
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())


@examples(200)
@given(st.dictionaries(metadata_keys, st.text(max_size=40), max_size=5))
def test_upload_metadata_reads_back_what_a_client_wrote(values: dict[str, str]) -> None:
    header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
    assert api._metadata(header) == values


@examples(500)
@given(header_text)
@example("")
@example("+12")
@example(" 12 ")
@example("1_000")
@example("١٢")  # Arabic-Indic digits: int() takes them, tus does not
@example("-1")
@example("9" * 5000)
def test_upload_length_and_offset_are_plain_decimal_integers(header: str) -> None:
    result = outcome((DomainError,), lambda: api.header_integer(header, "Upload-Length"))
    if isinstance(result, DomainError):
        assert result.code == "invalid" and "Upload-Length" in result.message
    else:
        assert header.isascii() and header.isdigit() and result == int(header) >= 0


@pytest.fixture
def bidder(bidders: list[Bidder]) -> Bidder:  # noqa: F811
    return bidders[0]


@examples(60)
@given(length=header_text, metadata=header_text)
@example(length="100", metadata="section é")
@example(length="100", metadata="idempotency_key " + "A" * 100)
@example(length="١٠٠", metadata="")
def test_a_creation_request_with_any_headers_gets_a_4xx_or_an_upload(
    section: Section,  # noqa: F811
    bidder: Bidder,
    length: str,
    metadata: str,
) -> None:
    before = Upload.objects.count()
    response = bidder.client().post(
        "/api/bids/uploads",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH=length,
        HTTP_UPLOAD_METADATA=metadata,
    )
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert Upload.objects.count() == before
        assert response.json()["code"]


@examples(60)
@given(offset=header_text)
@example(offset="+0")
@example(offset="0x0")
def test_an_append_with_any_offset_header_gets_a_4xx_or_is_stored(
    section: Section,  # noqa: F811
    bidder: Bidder,
    offset: str,
) -> None:
    metadata = f"section {b64(section.code)},idempotency_key {b64('fuzz-' + uuid.uuid4().hex[:8])}"
    client = bidder.client()
    created = client.post(
        "/api/bids/uploads",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH="1000",
        HTTP_UPLOAD_METADATA=metadata,
    )
    assert created.status_code == 201, created.content
    response = client.generic(
        "PATCH",
        created["Location"],
        b"x" * 10,  # type: ignore[arg-type]
        content_type="application/offset+octet-stream",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET=offset,
    )
    assert response.status_code < 500, response.content
    upload = Upload.objects.get(pk=created["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert upload.offset == (10 if response.status_code == 204 else 0)
    assert response.status_code != 204 or offset == "0"
