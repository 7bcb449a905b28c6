"""The world the security tests ask about, at the stage a test names (see world.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.realtime.conftest import eager_celery  # noqa: F401
from tests.security.world import World, build
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

MakeWorld = Callable[..., World]


@pytest.fixture
def world_at(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
    eager_celery: None,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> Iterator[MakeWorld]:
    """``world_at(stage, bidding=3)``: the section's world at that stage; the clock stays
    there until the test ends."""
    with ExitStack() as stack:

        def make(stage: str, *, bidding: int = 3) -> World:
            return build(
                stage,
                section=section,
                bidders=bidders,
                holders=holders,
                tmp_path=tmp_path,
                stack=stack,
                capture=django_capture_on_commit_callbacks,
                bidding=bidding,
            )

        yield make
