"""On PostgreSQL, with the real clock: the chronograph ticks at the deadline while bidders
finish their uploads and others leave theirs open. Nothing deadlocks; every upload ends
received, refused as late, or expired with its parts deleted — none stays open. And two
creations racing for the last room of an organisation's quota cannot both get it."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from bidding import services
from bidding.models import Upload, UploadState
from ggzy.errors import DomainError
from tests.bidding.conftest import Bidder, make_bidder, open_for_bids, seal_bid
from tests.conftest import requires_postgres
from trading import chronograph
from trading.models import Section

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FINISHING = 6
LEFT_OPEN = 3


def test_the_deadline_tick_and_finishing_uploads_never_deadlock(
    published: Section, tmp_path: Path
) -> None:
    bidders = [make_bidder(f"截止竞速{n}有限公司") for n in range(FINISHING + LEFT_OPEN)]
    envelopes = [seal_bid(published, bidder, tmp_path) for bidder in bidders]
    section = open_for_bids(published, closes_in=dt.timedelta(seconds=5))
    deadline = section.bid_deadline
    uploads = []
    for n, (bidder, data) in enumerate(zip(bidders, envelopes, strict=True)):
        upload = services.upload_create(
            section=section, person=bidder.person, length=len(data), idempotency_key=f"tick-{n:04d}"
        )[0]
        services.upload_append(
            upload=upload, person=bidder.person, offset=0, stream=io.BytesIO(data[:1000])
        )
        uploads.append(upload)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def finish(n: int, bidder: Bidder, data: bytes) -> None:
        try:
            time.sleep(max(0.0, deadline.timestamp() - 0.6 + n * 0.2 - time.time()))
            services.upload_append(
                upload=uploads[n], person=bidder.person, offset=1000, stream=io.BytesIO(data[1000:])
            )
            outcomes[n] = "received"
        except DomainError as exc:
            outcomes[n] = exc.code
        except BaseException as exc:  # a deadlock would land here
            errors.append(exc)
        finally:
            connection.close()

    def tick() -> None:
        try:
            time.sleep(max(0.0, deadline.timestamp() - time.time()))
            until = time.monotonic() + 2.0
            while time.monotonic() < until:
                chronograph.apply_time_events(section.pk)
                time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads: list[Any] = [
        threading.Thread(target=finish, args=(n, bidders[n], envelopes[n]))
        for n in range(FINISHING)
    ]
    threads.append(threading.Thread(target=tick))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert len(outcomes) == FINISHING
    assert set(outcomes.values()) <= {"received", "late", "expired"}
    states = {u.pk: u.state for u in Upload.objects.all()}
    assert UploadState.OPEN not in states.values()
    for n, upload in enumerate(uploads):
        upload.refresh_from_db()
        if n >= FINISHING:
            assert upload.state == UploadState.EXPIRED and upload.refusal_code == "expired"
        if upload.state != UploadState.COMPLETE:
            assert not default_storage.exists(upload.part_name(1)), upload.state


def test_two_creations_cannot_both_take_the_last_room_of_the_quota(
    published: Section, settings: Any
) -> None:
    settings.BIDDING_OPEN_BYTES_PER_ORGANISATION = 10_000
    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    bidder = make_bidder("配额竞速有限公司")
    results: list[str] = []
    start = threading.Barrier(4)

    def create(n: int) -> None:
        try:
            start.wait()
            services.upload_create(
                section=section,
                person=bidder.person,
                length=6_000,
                idempotency_key=f"quota-{n:03d}",
            )
            results.append("created")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["created", "open_quota", "open_quota", "open_quota"]
    assert Upload.objects.filter(state=UploadState.OPEN).count() == 1


def test_an_upload_locked_by_a_patch_waiting_for_the_section_is_expired_after_the_tick(
    published: Section, tmp_path: Path
) -> None:
    """The order that would deadlock: a completing PATCH holds its upload and then asks for
    the section, while the tick holds the section and expires the section's uploads."""
    from django.db import transaction

    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    bidder = make_bidder("锁顺序有限公司")
    upload = services.upload_create(
        section=section, person=bidder.person, length=5000, idempotency_key="lock-order"
    )[0]
    services.upload_append(
        upload=upload, person=bidder.person, offset=0, stream=io.BytesIO(b"x" * 1000)
    )
    Section.objects.filter(pk=section.pk).update(
        bid_deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    locked = threading.Event()
    errors: list[BaseException] = []

    def patch_in_flight() -> None:
        try:
            with transaction.atomic():
                Upload.objects.select_for_update(of=("self",)).get(pk=upload.pk)
                locked.set()
                time.sleep(0.5)  # the tick takes the section meanwhile
                Section.objects.select_for_update().get(pk=section.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def tick() -> None:
        try:
            locked.wait(10)
            chronograph.apply_time_events(section.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=patch_in_flight), threading.Thread(target=tick)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    upload.refresh_from_db()
    assert upload.state == UploadState.EXPIRED
    assert not default_storage.exists(upload.part_name(1))
