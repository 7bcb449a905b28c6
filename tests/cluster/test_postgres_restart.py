"""PostgreSQL restarts (an immediate shutdown: every session cut, WAL recovery) while bids are
being uploaded before the deadline. The uploads retry through it; the deadline is still
judged by the server's time of each upload's last byte: one finishing before it is received,
one finishing after it is refused as late, with the reason."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from accounts import services as account_services
from bidding.models import Bid, Receipt, Upload, UploadState
from ggzy_bid import server as bid_server
from ggzy_bid.errors import CLIError
from tests import servers
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid
from tests.cluster import harness
from tests.cluster.conftest import Infrastructure
from trading.models import Section

pytestmark = pytest.mark.django_db(transaction=True)

CHUNK = 128 * 1024


class FinishesLate(io.BytesIO):
    """A bid file whose last part is only readable once ``after`` (epoch seconds) has passed:
    a bidder whose line is slow at the end."""

    def __init__(self, data: bytes, after: float) -> None:
        super().__init__(data)
        self.size, self.after = len(data), after

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0 or self.tell() + size >= self.size:
            time.sleep(max(0.0, self.after - time.time()))
        return super().read(size)


def submit(
    url: str, token: str, bid: Path, section: Section, home: Path
) -> subprocess.Popen[bytes]:
    """``ggzy-bid submit``, as a bidder runs it (it retries what the server fails to answer)."""
    command = servers.ggzy_bid_submit(
        url=url, token=token, bid=bid, section_code=section.code, home=home, chunk_size=CHUNK
    )
    return subprocess.Popen(
        command.argv,
        cwd=servers.ROOT,
        env=command.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_uploads_retry_through_a_postgres_restart_and_the_deadline_still_decides(
    published: Section, infrastructure: Infrastructure, tmp_path: Path
) -> None:
    early, late = make_bidder("重启前后建设有限公司"), make_bidder("最后一秒工程有限公司")
    early_token = account_services.token_issue(person=early.person)[1]
    late_token = account_services.token_issue(person=late.person)[1]
    early_file = tmp_path / "early.gbid"
    early_file.write_bytes(seal_bid(published, early, tmp_path, body=secrets.token_bytes(1 << 20)))
    late_data = seal_bid(published, late, tmp_path, body=secrets.token_bytes(512 << 10))
    # The servers store bids in the S3 endpoint, as in production. The deadline leaves a
    # loaded 2-core machine time for both uploads: a part took up to 15 s there.
    env = servers.server_environment(tmp_path, **infrastructure.s3.environment())
    daphne = infrastructure.daphne("daphne-uploads", tmp_path, env)
    try:
        section = open_for_bids(published, closes_in=dt.timedelta(seconds=75))
        deadline = section.bid_deadline.timestamp()
        first = submit(harness.url_of(daphne), early_token, early_file, section, tmp_path)
        outcome: dict[str, object] = {}

        def upload_late() -> None:
            session = bid_server.Session(bid_server.Server(harness.url_of(daphne), late_token))
            try:
                outcome["bid"] = bid_server.upload(
                    session,
                    FinishesLate(late_data, after=deadline + 1),
                    length=len(late_data),
                    section=section.code,
                    idempotency_key="late-bidder-0001",
                    chunk_size=CHUNK,
                )
            except CLIError as refusal:
                outcome["refused"] = str(refusal)

        second = threading.Thread(target=upload_late)
        second.start()
        # The restart lands in the middle of the early upload.
        while (
            Upload.objects.filter(organisation=early.organisation, offset__gte=2 * CHUNK).count()
            == 0
        ):
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        connection.close()
        infrastructure.postgres.crash()
        time.sleep(1)  # requests arriving now find no database at all
        infrastructure.postgres.start()
        _out, err = first.communicate(timeout=120)
        second.join(timeout=120)
    finally:
        daphne.stop()
    connection.close()  # the test's own session died with the server

    assert first.returncode == 0, err.decode()[-2000:]
    received = Bid.objects.get(organisation=early.organisation)
    assert received.received_at.timestamp() < deadline
    assert Receipt.objects.filter(bid=received, kind="received").count() == 1
    assert Upload.objects.get(organisation=early.organisation).state == UploadState.COMPLETE

    assert "bid" not in outcome and "refused" in outcome
    refused = Upload.objects.get(organisation=late.organisation)
    assert refused.state == UploadState.REFUSED and refused.refusal_code == "late"
    assert not Bid.objects.filter(organisation=late.organisation).exists()
    # Its earlier parts arrived in time; the last byte's time is what was judged.
    assert "deadline" in str(outcome["refused"]).lower()
