"""The award tests' fixtures: a section whose candidates are publicized (see world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.award.world import AwardWorld, pay_deposits, to_publicity
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section


@pytest.fixture
def publicized(opening: Opening) -> Iterator[AwardWorld]:  # noqa: F811
    world = to_publicity(opening)
    yield world
    world.stop()


@pytest.fixture
def paid(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    request: pytest.FixtureRequest,
) -> Iterator[AwardWorld]:
    """As ``publicized``, with every bidder's deposit paid before the deadline [R57]."""
    pay_deposits(section, bidders)
    world = to_publicity(request.getfixturevalue("opening"))
    yield world
    world.stop()
