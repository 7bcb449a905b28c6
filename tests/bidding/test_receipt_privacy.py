"""Nothing a bidder receives before the deadline tells it that other bids exist [E21, E27].

The same bidder's flow — upload, a second bid refused, a replacement, a withdrawal — runs
twice, against a section nobody else has bid in and against a twin section where three
others have bid. Everything it receives (tus answers and headers, ``/api/bids``, receipts,
pages) must be the same once the values that are legitimately its own are masked: UUIDs,
times, signatures and digests, its own file sizes, its own name and the section's code.
An integer that counted bids (a receipt sequence, a global id) survives the masking and
makes the two runs differ.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Person
from bidding.models import Bid, BidStatus
from ggzy import clock
from tests.bidding.conftest import Bidder, create_upload, make_bidder, patch, seal_bid, upload_whole
from tests.conftest import client_for
from tests.trading.conftest import section_fields, upload
from trading import chronograph, documents, services
from trading.models import Project, Section

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX = re.compile(r"[0-9a-f]{16,}")  # signatures, SM3 digests (whole or truncated)
TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')
# Headers that are transport, not content (the content itself is compared).
TRANSPORT = {"content-length", "set-cookie", "date", "vary"}


@pytest.fixture
def twins(project: Project, tenderee: Person) -> Iterator[tuple[Section, Section]]:
    """Two sections of one project, alike in every respect, both taking bids."""
    sections = []
    fields = section_fields()  # the same times for both
    for _ in range(2):
        draft = services.section_create(project=project, actor=tenderee, **fields)
        documents.document_issue(section=draft, actor=tenderee, title="招标文件", upload=upload())
        sections.append(services.section_publish(section=draft, actor=tenderee))
    quiet, busy = sections
    assert len(quiet.code) == len(busy.code) and quiet.bid_deadline == busy.bid_deadline
    with time_machine.travel(quiet.documents_from + dt.timedelta(days=1), tick=False):
        for section in sections:
            chronograph.apply_time_events(section.pk)
            section.refresh_from_db()
        yield quiet, busy


@dataclass
class Mask:
    """What the bidder legitimately knows differs between the two runs."""

    bidder: Bidder
    section: Section
    sizes: tuple[int, ...]

    def text(self, value: str) -> str:
        value = UUID.sub("<uuid>", value)
        value = HEX.sub("<hex>", value)
        value = TIME.sub("<time>", value)
        value = CSRF.sub(r"\1<csrf>", value)
        # The section's id is public (the sealing page hands it to the envelope): the two
        # runs differ only in which section the bidder is in.
        value = value.replace(f'data-section-id="{self.section.pk}"', 'data-section-id="<id>"')
        for own, label in (
            (self.section.code, "<section>"),
            (self.bidder.organisation.credit_code, "<bidder>"),
            (self.bidder.organisation.name, "<bidder name>"),
            (self.bidder.person.display_name, "<person>"),
            (self.bidder.person.username, "<person>"),
        ):
            value = value.replace(own, label)
        return value

    def json(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(item, key) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if key == "section_id" and value == self.section.pk:
            return "<section id>"
        if key == "size" and value in self.sizes:
            return f"<size {self.sizes.index(value)}>"
        return value

    def headers(self, response: Any) -> dict[str, str]:
        shown = {}
        for name, value in response.headers.items():
            if name.lower() in TRANSPORT:
                continue
            if name.lower() in ("upload-offset", "upload-length") and int(value) in self.sizes:
                value = f"<size {self.sizes.index(int(value))}>"
            shown[name.lower()] = self.text(value)
        return shown

    def answer(self, response: Any) -> dict[str, Any]:
        body: Any = response.content.decode()
        if response.get("Content-Type", "").startswith("application/json") and body:
            body = self.json(json.loads(body))
        else:
            body = self.text(body)
        return {"status": response.status_code, "headers": self.headers(response), "body": body}


def _table(page: str, table_id: str) -> str:
    found = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)
    assert found is not None, table_id
    return found.group(0)


def _my_bids(page: str, section: Section) -> dict[str, Any]:
    """My receipts, and the row of this section in the list of open sections (the list itself
    shows every open section, the twin included)."""
    rows = [
        row.split("</tr>")[0]
        for row in _table(page, "open-sections").split("<tr>")
        if section.code in row
    ]
    return {"receipts": _table(page, "bids"), "open section": rows}


def _pages(mask: Mask, section: Section) -> dict[str, Any]:
    browser = client_for(mask.bidder.person)
    return {
        "upload page": mask.text(
            browser.get(reverse("bidding:upload", args=[section.code])).content.decode()
        ),
        "my bids": mask.json(
            _my_bids(browser.get(reverse("bidding:my_bids")).content.decode(), section)
        ),
    }


def _bids_of_section(mask: Mask, section: Section) -> Any:
    client = mask.bidder.client()
    response = client.get("/api/bids")
    assert response.status_code == 200
    return mask.json([bid for bid in response.json() if bid["section"] == section.code])


def flow(section: Section, bidder: Bidder, files: tuple[bytes, bytes]) -> dict[str, Any]:
    """Everything the bidder receives while it bids, replaces and withdraws."""
    first, second = files
    mask = Mask(bidder, section, (len(first), len(second)))
    api = bidder.client()
    seen: dict[str, Any] = {}

    created = create_upload(api, section, first, key="privacy-first")
    seen["create"] = mask.answer(created)
    location = created["Location"]
    seen["head while open"] = mask.answer(api.head(location, HTTP_TUS_RESUMABLE="1.0.0"))
    done = patch(api, location, first, 0)
    seen["last patch"] = mask.answer(done)
    seen["head when complete"] = mask.answer(api.head(location, HTTP_TUS_RESUMABLE="1.0.0"))
    bid = done["Ggzy-Bid"]
    seen["receipts"] = mask.answer(api.get(f"/api/bids/{bid}/receipt"))
    seen["receipt download"] = mask.answer(
        client_for(bidder.person).get(reverse("bidding:receipt", args=[bid]))
    )
    seen["bids"] = _bids_of_section(mask, section)
    seen["pages after the bid"] = _pages(mask, section)

    refused = upload_whole(api, section, second, parts=1, key="privacy-second")
    seen["a second bid"] = mask.answer(refused)

    # A replacement arrives later than what it replaces (the clock stands still otherwise,
    # and two bids received at one instant would list in an arbitrary order).
    with time_machine.travel(clock.now() + dt.timedelta(minutes=5), tick=False):
        replaced = upload_whole(api, section, second, parts=1, key="privacy-replace", replaces=bid)
    seen["replacement"] = mask.answer(replaced)
    new = replaced["Ggzy-Bid"]
    seen["receipts of the replacement"] = mask.answer(api.get(f"/api/bids/{new}/receipt"))
    seen["receipts of the replaced bid"] = mask.answer(api.get(f"/api/bids/{bid}/receipt"))
    seen["bids after replacing"] = _bids_of_section(mask, section)
    seen["pages after replacing"] = _pages(mask, section)

    seen["withdrawal"] = mask.answer(api.post(f"/api/bids/{new}/withdraw"))
    seen["receipts after withdrawing"] = mask.answer(api.get(f"/api/bids/{new}/receipt"))
    seen["bids after withdrawing"] = _bids_of_section(mask, section)
    seen["pages after withdrawing"] = _pages(mask, section)
    return seen


def test_nothing_a_bidder_receives_tells_it_how_many_others_have_bid(
    twins: tuple[Section, Section], bidders: list[Bidder], tmp_path: Path
) -> None:
    quiet, busy = twins
    for other in bidders:
        response = upload_whole(other.client(), busy, seal_bid(busy, other, tmp_path))
        assert response.status_code == 204, response.content
    alone = make_bidder("甲方测试建设有限公司")
    crowded = make_bidder("乙方测试建设有限公司")

    def files(section: Section, bidder: Bidder) -> tuple[bytes, bytes]:
        # Bodies of different lengths: the two sizes never coincide, so each masks as itself.
        first = seal_bid(section, bidder, tmp_path, body=b"proposal " * 4000)
        second = seal_bid(section, bidder, tmp_path, body=b"revised proposal " * 4000)
        assert len(first) != len(second)
        return first, second

    seen_alone = flow(quiet, alone, files(quiet, alone))
    seen_crowded = flow(busy, crowded, files(busy, crowded))

    # The flows did what they should (so that equal answers mean something).
    assert seen_alone["last patch"]["status"] == 204
    assert seen_alone["a second bid"]["body"]["code"] == "second_bid"
    assert seen_alone["replacement"]["status"] == 204
    assert seen_alone["withdrawal"]["status"] == 201
    assert Bid.objects.filter(section=busy, status=BidStatus.RECEIVED).count() == 3
    differing = {
        step: (seen_alone[step], seen_crowded[step])
        for step in seen_alone
        if seen_alone[step] != seen_crowded[step]
    }
    assert not differing, json.dumps(differing, ensure_ascii=False, indent=1)
