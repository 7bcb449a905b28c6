"""Uploads still open at the bid deadline expire through the one chronograph: their parts
are deleted, the ledger says so, and their address answers 410 — never 200 [E27, L28]."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.core.files.storage import default_storage

from bidding.models import Upload
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, create_upload, patch, seal_bid
from trading import chronograph
from trading.models import Section

pytestmark = pytest.mark.django_db


def head(client: Any, location: str) -> Any:
    return client.head(location, HTTP_TUS_RESUMABLE="1.0.0")


def half_sent(bidder: Bidder, section: Section, tmp_path: Path) -> tuple[str, bytes]:
    data = seal_bid(section, bidder, tmp_path)
    client = bidder.client()
    created = create_upload(client, section, data)
    location = str(created["Location"])
    assert patch(client, location, data[:1000], 0).status_code == 204
    assert patch(client, location, data[1000:2000], 1000).status_code == 204
    return location, data


def test_the_deadline_tick_expires_open_uploads_and_deletes_their_parts(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = [half_sent(bidder, section, tmp_path) for bidder in bidders[:2]]
    uploads = list(Upload.objects.order_by("created_at"))
    assert all(default_storage.exists(u.part_name(2)) for u in uploads)

    with time_machine.travel(section.bid_deadline + dt.timedelta(seconds=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            applied = chronograph.apply_time_events(section.pk)
        assert "submissions_closed" in applied
        for upload in uploads:
            upload.refresh_from_db()
            assert upload.state == "expired" and upload.refusal_code == "expired"
            assert not default_storage.exists(upload.part_name(1))
            assert not default_storage.exists(upload.part_name(2))
        for bidder, (location, data) in zip(bidders[:2], sent, strict=True):
            answer = head(bidder.client(), location)
            assert answer.status_code == 410
            assert answer["Ggzy-Refused"] == "expired"
            assert "E27" in unquote(answer["Ggzy-Reason"])
            more = patch(bidder.client(), location, data[2000:], 2000)
            assert more.status_code == 410 and more.json()["code"] == "expired"
            assert " / " in more.json()["detail"]
    entries = LedgerEntry.objects.filter(action="bidding.upload.expired")
    assert {entry.target_id for entry in entries} == {str(u.id) for u in uploads}
    assert all(entry.embargo == section.embargo_scope for entry in entries)


def test_a_late_or_repeated_tick_is_still_correct(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    location, _data = half_sent(bidders[0], section, tmp_path)
    upload = Upload.objects.get()
    with time_machine.travel(section.bid_deadline + dt.timedelta(hours=3), tick=False):
        # Before the (late) tick the clock already decides: no 200 for an upload past its time.
        assert head(bidders[0].client(), location).status_code == 410
        assert default_storage.exists(upload.part_name(1))
        with django_capture_on_commit_callbacks(execute=True):
            chronograph.apply_time_events(section.pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert chronograph.apply_time_events(section.pk) == []
    upload.refresh_from_db()
    assert upload.state == "expired"
    assert not default_storage.exists(upload.part_name(1))
    assert LedgerEntry.objects.filter(action="bidding.upload.expired").count() == 1


def test_finished_uploads_are_left_alone_by_the_expiry(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    assert patch(client, location, data, 0).status_code == 204
    upload = Upload.objects.get()
    after = section.bid_deadline + dt.timedelta(seconds=1)
    with time_machine.travel(after, tick=False), django_capture_on_commit_callbacks(execute=True):
        chronograph.apply_time_events(section.pk)
    upload.refresh_from_db()
    assert upload.state == "complete" and default_storage.exists(upload.part_name(1))
    assert not LedgerEntry.objects.filter(action="bidding.upload.expired").exists()


def test_a_cancelled_section_expires_its_open_uploads(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    tenderee: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from trading import services as trading_services

    location, _data = half_sent(bidders[0], section, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        trading_services.section_cancel(section=section, actor=tenderee, reason="项目取消")
    upload = Upload.objects.get()
    assert upload.state == "expired" and upload.refusal_code == "not_accepting"
    assert not default_storage.exists(upload.part_name(1))
    assert head(bidders[0].client(), location).status_code == 410
