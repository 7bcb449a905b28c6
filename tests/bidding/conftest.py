"""A section open for bids, three bidder companies with bound keys, and real envelopes."""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Organisation, Person, Role
from bidding.models import Bid
from ggzy import clock
from ggzy_core.gm import envelope, sm2
from tests.factories import OrganisationFactory, PersonFactory
from tests.trading.conftest import bind_new_key, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section, SectionStatus


@dataclass
class Bidder:
    organisation: Organisation
    person: Person
    key: sm2.SM2PrivateKey

    def client(self) -> APIClient:
        client = APIClient(REMOTE_ADDR=f"198.51.100.{self.person.pk % 250 + 1}")
        client.force_authenticate(self.person)
        return client


def make_bidder(name: str, **organisation: object) -> Bidder:
    company = OrganisationFactory.create(name=name, **organisation)
    person = PersonFactory.create(
        organisation=company, role=Role.BIDDER, is_organisation_admin=True
    )
    return Bidder(organisation=company, person=person, key=bind_new_key(company))


@pytest.fixture
def bidders(db: None) -> list[Bidder]:
    return [
        make_bidder(name)
        for name in ("江南建工集团有限公司", "长江路桥工程有限公司", "金陵市政建设有限公司")
    ]


@pytest.fixture
def section(published: Section) -> Iterator[Section]:  # noqa: F811
    """Accepting bids: the clock stands one day after the documents were issued."""
    traveller = time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False)
    traveller.start()
    chronograph.apply_time_events(published.pk)
    published.refresh_from_db()
    yield published
    traveller.stop()


def open_for_bids(section: Section, *, closes_in: dt.timedelta) -> Section:
    """Bidding now, by the real clock (for tests whose server processes cannot share a
    travelled clock): documents out since yesterday, deadline ``closes_in`` from now."""
    Section.objects.filter(pk=section.pk).update(
        status=SectionStatus.BIDDING,
        documents_from=clock.now() - dt.timedelta(days=1),
        bid_deadline=clock.now() + closes_in,
    )
    return Section.objects.get(pk=section.pk)


def seal_bid(
    section: Section,
    bidder: Bidder,
    tmp_path: Path,
    *,
    price: str = "47000000.00",
    signing_key: sm2.SM2PrivateKey | None = None,
    section_id: int | None = None,
    opening_key: sm2.SM2PublicKey | None = None,
    body: bytes = b"technical and commercial proposal " * 1000,
) -> bytes:
    document = tmp_path / f"proposal-{bidder.organisation.pk}.pdf"
    document.write_bytes(body)
    out = io.BytesIO()
    envelope.seal(
        out=out,
        files=[document],
        sheet={"price": price, "duration_days": 540, "quality": "合格", "project_manager": "王工"},
        section_id=section_id if section_id is not None else section.pk,
        section_code=section.code,
        bidder_credit_code=bidder.organisation.credit_code,
        signing_key=signing_key or bidder.key,
        recipients=[
            envelope.Recipient(
                envelope.OPENING_ROLE,
                opening_key or sm2.load_public_key(section.opening_key_pem.encode()),
            )
        ],
        chunk_size=4096,
    )
    return out.getvalue()


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def create_upload(
    client: APIClient, section: Section, data: bytes, key: str = "key-00000001", **extra: str
) -> Any:
    metadata = f"section {b64(section.code)},idempotency_key {b64(key)}"
    for name, value in extra.items():
        metadata += f",{name} {b64(value)}"
    return client.post(
        "/api/bids/uploads",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA=metadata,
    )


def patch(client: APIClient, location: str, data: bytes, offset: int) -> Any:
    return client.generic(
        "PATCH",
        location,
        data,  # type: ignore[arg-type]  # bytes pass through untouched; the stub says str
        content_type="application/offset+octet-stream",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_OFFSET=str(offset),
    )


def upload_whole(
    client: APIClient,
    section: Section,
    data: bytes,
    *,
    parts: int = 3,
    key: str = "key-00000001",
    **extra: str,
) -> Any:
    """Create and send in ``parts`` PATCHes; return the last response."""
    created = create_upload(client, section, data, key=key, **extra)
    assert created.status_code in (200, 201), getattr(created, "content", b"")[:300]
    location = created["Location"]
    size = -(-len(data) // parts)
    response = created
    for offset in range(0, len(data), size):
        response = patch(client, location, data[offset : offset + size], offset)
        if response.status_code != 204:
            return response
    return response


def live_bids(section: Section) -> list[Bid]:
    return list(Bid.objects.filter(section=section, status="received"))
