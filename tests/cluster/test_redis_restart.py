"""Redis restarted in the middle of an opening, losing everything it held (channel groups,
in-flight broadcasts): no event is lost to the record, and every client ends with the whole
stream in order — through the consumers' catch-up from the database, or a new snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.conftest import (
    HallOnTheCluster,
    Infrastructure,
    assert_every_client_has_the_whole_stream,
    assert_the_opening_is_as_without_a_fault,
    check_the_record,
    hall_on_the_cluster,
    open_the_hall,
)
from tests.conftest import requires_redis
from tests.realtime.conftest import Opening

pytestmark = [pytest.mark.django_db(transaction=True), requires_redis]


def test_it_loses_no_event_when_redis_restarts_mid_hall(
    opening: Opening, infrastructure: Infrastructure, tmp_path: Path
) -> None:
    def restart_redis(hall: HallOnTheCluster) -> None:
        # Once bid 1 is decrypted no task waits in the broker: a Redis without persistence
        # would lose a queued one (docs/cluster.md), which is not what this test is about.
        hall.wait_decrypted(2)
        infrastructure.redis.restart()

    with hall_on_the_cluster(opening, infrastructure, tmp_path) as hall:
        open_the_hall(hall, fault=lambda: restart_redis(hall), fault_via=1)
        check_the_record(opening.hall, published_by=hall.url(1))

    streams = assert_every_client_has_the_whole_stream(hall)
    # Every client, on either process, ends with the same events from where it joined.
    assert all(stream[-1] == streams[0][-1] for stream in streams)
    assert_the_opening_is_as_without_a_fault(opening.hall)
