"""A daphne process killed (kill -9) in the middle of an opening: its clients reconnect to the
other process, resync from a snapshot and miss no event; the record is what the stored hall
says, as if nothing had happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.conftest import (
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


def test_it_moves_the_clients_of_a_killed_daphne_to_the_other_without_losing_an_event(
    opening: Opening, infrastructure: Infrastructure, tmp_path: Path
) -> None:
    with hall_on_the_cluster(opening, infrastructure, tmp_path) as hall:
        # Bid 1's key goes through the second process, which dies while the worker decrypts.
        open_the_hall(hall, fault=hall.daphnes[1].kill, fault_via=1)
        check_the_record(opening.hall, published_by=hall.url(0))

    streams = assert_every_client_has_the_whole_stream(hall)
    stayed, moved = hall.clients[:3], hall.clients[3:]
    assert streams[0] == streams[1] == streams[2]
    assert all(client.snapshots() == 1 for client in stayed)
    # Each moved client came back through a second snapshot and then saw the rest.
    assert all(client.snapshots() == 2 for client in moved)
    assert all(stream[-1] == streams[0][-1] for stream in streams[3:])
    assert_the_opening_is_as_without_a_fault(opening.hall)
