"""Open-data fixtures: the realtime ``opening`` (three real sealed bids, the clock at the
deadline) over a section that was clarified, with its deadline moved, while bids came in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache

from accounts.models import Person
from tests.bidding.conftest import bidders  # noqa: F401
from tests.realtime.conftest import eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph, documents
from trading.models import Section

CLARIFICATION_TITLE = "澄清与修改（一）"


@pytest.fixture
def section(published: Section, tenderee: Person) -> Iterator[Section]:  # noqa: F811
    """Accepting bids a day after the documents were issued, with one clarification that
    moved the deadline a day later [R21, L23]."""
    traveller = time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False)
    traveller.start()
    chronograph.apply_time_events(published.pk)
    documents.clarification_issue(
        section=published,
        actor=tenderee,
        title=CLARIFICATION_TITLE,
        body="工期由365日历天调整为360日历天，投标截止顺延一日。",
        new_deadline=published.bid_deadline + dt.timedelta(days=1),
    )
    published.refresh_from_db()
    yield published
    traveller.stop()


@pytest.fixture(autouse=True)
def _empty_throttle_history() -> Iterator[None]:
    """The anonymous-read buckets live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()
