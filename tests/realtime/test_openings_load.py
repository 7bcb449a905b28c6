"""Several sections opening in the same minute (bench/load_openings.py, quick mode): the real
chronograph — ETA ticks and the beat sweep in a Celery worker — opens every hall, and a client
watching each hall on one of two daphne processes gets its stage event, none lost, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench import load_openings
from tests import servers
from tests.conftest import requires_postgres, requires_redis
from tests.security.world import centre_staff_group

pytestmark = [
    requires_postgres,
    requires_redis,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def test_every_hall_opening_in_the_same_minute_reaches_its_client_and_none_is_lost(
    tmp_path: Path,
) -> None:
    centre_staff_group()  # the data migration's group: this test's flush removed it
    halls = load_openings.build(tmp_path, sections=5, bids=10)
    # Two daphnes on a free port and the next one.
    with load_openings.cluster(
        tmp_path / "var", servers.free_consecutive_ports(2), logs=None
    ) as bases:
        asyncio.run(load_openings.run(halls, bases, lead=8.0, spread=4.0, wait=60.0))
    outcome = load_openings.results(halls)
    assert outcome["opened"] == 5, "the chronograph opened every hall"
    assert outcome["lost"] == 0, [hall.code for hall in halls if hall.arrived is None]
    assert outcome["in_order"] == 5, [(h.snapshot_sequence, h.sequences) for h in halls]
