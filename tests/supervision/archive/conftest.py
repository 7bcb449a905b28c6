"""Sections that closed (failed with too few bids, cancelled), the people who read archives,
and helpers to seal and open a package."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage

from accounts.models import Person, Role
from config.celery import app as celery_app
from ggzy import signing
from ggzy_core import archive as core
from supervision.archive.models import Archive
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.factories import PersonFactory
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import Section, SectionStatus


@pytest.fixture
def eager_celery() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def failed(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    tmp_path: Path,
) -> Iterator[Section]:
    """Two bids by the deadline: fewer than three, so the section failed [R40]. The clock
    stands at the deadline."""
    for index, bidder in enumerate(bidders[:2]):
        data = seal_bid(section, bidder, tmp_path, price=f"4{index}000000.00")
        response = upload_whole(bidder.client(), section, data, key=f"key-{index:08d}")
        assert response.status_code == 204, response.content
    traveller = time_machine.travel(section.bid_deadline, tick=False)
    traveller.start()
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    assert section.status == SectionStatus.FAILED
    yield section
    traveller.stop()


@pytest.fixture
def staff(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(
        username="centre-staff", organisation=holders.centre, role=Role.STAFF
    )


@pytest.fixture
def regulator(holders: Holders) -> Person:  # noqa: F811
    return PersonFactory.create(
        username="regulator", organisation=holders.regulator, role=Role.REGULATOR
    )


def after_archive_delay(closed: Section) -> time_machine.travel:
    return time_machine.travel(
        closed.bid_deadline + settings.ARCHIVE_AFTER + dt.timedelta(seconds=1), tick=False
    )


def package_of(closed: Section) -> bytes:
    archive = Archive.objects.get(section=closed)
    with default_storage.open(archive.name, "rb") as handle:
        data: bytes = handle.read()
    return data


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


def verified(data: bytes) -> core.Verdict:
    verdict = core.verify(data, pinned_key=signing.platform_public_key())
    assert verdict.ok, verdict.reason
    return verdict
