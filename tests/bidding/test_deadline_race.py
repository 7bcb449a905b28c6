"""Many bidders finish their uploads around the deadline at once, on PostgreSQL, with the
real clock: each either holds a receipt dated before the deadline or was refused as late.
None is lost, none is doubled, receipt numbers are unique."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from bidding import services
from bidding.models import Bid, BidStatus, Receipt, Upload, UploadState
from ggzy.errors import DomainError
from tests.bidding.conftest import Bidder, make_bidder, open_for_bids, seal_bid
from tests.conftest import requires_postgres
from trading.models import Section

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIDDERS = 16


def test_uploads_finishing_around_the_deadline_are_each_received_or_refused(
    published: Section, tmp_path: Path
) -> None:
    bidders = [make_bidder(f"竞速投标人{n}有限公司") for n in range(BIDDERS)]
    envelopes = [seal_bid(published, bidder, tmp_path) for bidder in bidders]
    section = open_for_bids(published, closes_in=dt.timedelta(seconds=6))
    deadline = section.bid_deadline
    uploads = [
        services.upload_create(
            section=section, person=bidder.person, length=len(data), idempotency_key=f"race-{n:04d}"
        )[0]
        for n, (bidder, data) in enumerate(zip(bidders, envelopes, strict=True))
    ]
    outcomes: dict[int, str] = {}

    def finish(n: int, bidder: Bidder, data: bytes) -> None:
        try:
            half = len(data) // 2
            services.upload_append(
                upload=uploads[n], person=bidder.person, offset=0, stream=io.BytesIO(data[:half])
            )
            # Spread the last bytes over 1.6 s around the deadline.
            finish_at = deadline.timestamp() - 0.8 + n * (1.6 / BIDDERS)
            time.sleep(max(0.0, finish_at - time.time()))
            try:
                services.upload_append(
                    upload=uploads[n],
                    person=bidder.person,
                    offset=half,
                    stream=io.BytesIO(data[half:]),
                )
                outcomes[n] = "received"
            except DomainError as exc:
                outcomes[n] = exc.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=finish, args=(n, bidder, data))
        for n, (bidder, data) in enumerate(zip(bidders, envelopes, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == BIDDERS, "a thread did not finish"
    assert set(outcomes.values()) <= {"received", "late"}
    # The spread really straddled the deadline: both outcomes happened.
    assert "received" in outcomes.values() and "late" in outcomes.values()
    for n, upload in enumerate(uploads):
        upload.refresh_from_db()
        bids = Bid.objects.filter(upload=upload)
        if outcomes[n] == "received":
            assert upload.state == UploadState.COMPLETE
            bid = bids.get()
            assert bid.received_at < deadline
            assert Receipt.objects.filter(bid=bid, kind="received").count() == 1
        else:
            assert upload.state == UploadState.REFUSED and upload.refusal_code == "late"
            assert not bids.exists()
    received = Bid.objects.filter(section=section, status=BidStatus.RECEIVED)
    assert received.count() == list(outcomes.values()).count("received")
    # Each received bid has its own receipt naming it; nothing is numbered before the opening.
    receipts = Receipt.objects.filter(bid__in=received, kind="received")
    assert sorted(r.payload["bid_id"] for r in receipts) == sorted(str(b.pk) for b in received)
    assert not Upload.objects.filter(state=UploadState.OPEN).exists()
