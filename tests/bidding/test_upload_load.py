"""Concurrent resumable uploads ending around the deadline, on two daphne processes and
PostgreSQL (bench/load_uploads.py, quick mode): no upload lost, none accepted late, and each
server process stays within its memory budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import load_uploads
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

RSS_BUDGET_MB = 256  # issue 14: per server process


def test_twenty_uploads_around_the_deadline_lose_none_and_accept_none_late(
    tmp_path: Path,
) -> None:
    centre_staff_group()  # the data migration's group: a transactional test's flush removed it
    plan = load_uploads.Plan.quick(first_port=servers.free_consecutive_ports(2))  # and the next one
    verdict = load_uploads.run(plan, tmp_path, servers.server_environment(tmp_path))
    assert verdict.lost == []
    assert verdict.late_accepted == []
    # Both sides of the deadline were exercised: some in time, some refused as late.
    assert verdict.outcomes.get("accepted", 0) >= 1, verdict.outcomes
    assert any(outcome.startswith("refused:") for outcome in verdict.outcomes), verdict.outcomes
    assert not any(outcome.startswith("error:") for outcome in verdict.outcomes), verdict.outcomes
    assert verdict.cuts >= 1
    assert verdict.server_errors == 0
    assert all(0 < peak < RSS_BUDGET_MB for peak in verdict.peak_rss_mb), verdict.peak_rss_mb
