"""A section at its deadline with three real sealed bids, the hall open, and a host."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
import time_machine

from accounts.models import Person, Role
from bidding.models import Bid
from config.celery import app as celery_app
from ggzy import clock
from ggzy_core.gm import envelope
from realtime.models import Hall
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.factories import PersonFactory
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section


@dataclass
class Opening:
    section: Section
    hall: Hall
    bidders: list[Bidder]
    bids: list[Bid]
    files: list[bytes]
    host: Person
    holders: Holders

    def content_key(self, index: int) -> bytes:
        manifest = envelope.read_manifest(cast(BinaryIO, io.BytesIO(self.files[index])))
        return envelope.unwrap_content_key(manifest, self.bidders[index].key)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in-process (tests that need a real worker start one: tests/servers.py)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def opening(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
    eager_celery: None,
) -> Iterator[Opening]:
    files, bids = [], []
    start = clock.now()
    for index, bidder in enumerate(bidders):
        data = seal_bid(section, bidder, tmp_path, price=f"4{index}850000.00")
        # A second apart: the opening numbers bids in order of receipt time, bidders[0] first.
        with time_machine.travel(start + dt.timedelta(seconds=index), tick=False):
            response = upload_whole(bidder.client(), section, data)
        assert response.status_code == 204, response.content
        files.append(data)
        bids.append(Bid.objects.get(pk=response["Ggzy-Bid"]))
    traveller = time_machine.travel(section.bid_deadline, tick=False)
    traveller.start()
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    host = PersonFactory.create(username="host", organisation=holders.centre, role=Role.STAFF)
    yield Opening(section, Hall.objects.get(section=section), bidders, bids, files, host, holders)
    traveller.stop()


def event_kinds(hall: Hall) -> list[tuple[int, str, Any]]:
    return [
        (e.sequence, e.kind, e.payload.get("stage") or e.payload.get("status"))
        for e in hall.events.all()
    ]


def past_the_window(state: Opening) -> time_machine.travel:
    """Travel to the end of the hall's current window (decryption or confirmation)."""
    state.hall.refresh_from_db()
    assert state.hall.stage_deadline is not None
    return time_machine.travel(state.hall.stage_deadline, tick=False)
