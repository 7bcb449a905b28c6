"""tus termination: the bidder's own organisation may DELETE an open upload before the
deadline; its parts go, the ledger says so, and the address answers 410 afterwards."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.core.files.storage import default_storage

from bidding.models import Bid, Upload
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, create_upload, patch, seal_bid, upload_whole
from trading.models import Section

pytestmark = pytest.mark.django_db


def delete(client: Any, location: str) -> Any:
    return client.delete(location, HTTP_TUS_RESUMABLE="1.0.0")


def head(client: Any, location: str) -> Any:
    return client.head(location, HTTP_TUS_RESUMABLE="1.0.0")


def started(bidder: Bidder, section: Section, data: bytes, key: str = "key-00000001") -> str:
    """An upload with its first 1000 bytes stored; returns its address."""
    client = bidder.client()
    created = create_upload(client, section, data, key=key)
    assert created.status_code == 201
    assert patch(client, created["Location"], data[:1000], 0).status_code == 204
    return str(created["Location"])


def stored_parts(upload: Upload) -> list[str]:
    folder = f"bids/uploads/{upload.id}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def test_the_owner_terminates_an_open_upload_and_its_parts_are_deleted(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    location = started(bidders[0], section, data)
    upload = Upload.objects.get()
    assert stored_parts(upload) == ["part-000001"]

    with django_capture_on_commit_callbacks(execute=True):
        response = delete(bidders[0].client(), location)

    assert response.status_code == 204, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    upload.refresh_from_db()
    assert upload.state == "terminated" and upload.refusal_code == "terminated"
    assert stored_parts(upload) == []
    entry = LedgerEntry.objects.get(action="bidding.upload.terminated")
    assert entry.target_id == str(upload.id) and entry.network_address
    assert entry.data["section"] == section.code and entry.data["offset"] == 1000
    assert entry.embargo == section.embargo_scope


def test_a_terminated_upload_answers_410_with_a_bilingual_reason(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    location = started(bidders[0], section, data)
    client = bidders[0].client()
    assert delete(client, location).status_code == 204

    gone = head(client, location)
    assert gone.status_code == 410
    assert gone["Ggzy-Refused"] == "terminated"
    reason = unquote(gone["Ggzy-Reason"])
    assert "终止" in reason and "terminated" in reason
    sent = patch(client, location, data[1000:2000], 1000)
    assert sent.status_code == 410 and sent.json()["code"] == "terminated"
    assert " / " in sent.json()["detail"]
    again = delete(client, location)
    assert again.status_code == 410
    assert Upload.objects.get().offset == 1000
    assert LedgerEntry.objects.filter(action="bidding.upload.terminated").count() == 1


def test_another_organisation_cannot_terminate_an_upload_and_nothing_changes(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    location = started(bidders[0], section, data)
    response = delete(bidders[1].client(), location)
    assert response.status_code == 404
    upload = Upload.objects.get()
    assert upload.state == "open" and upload.offset == 1000
    assert stored_parts(upload) == ["part-000001"]
    assert not LedgerEntry.objects.filter(action="bidding.upload.terminated").exists()
    assert head(bidders[0].client(), location).status_code == 200


def test_it_refuses_to_terminate_after_the_deadline_and_changes_nothing(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    location = started(bidders[0], section, data)
    with time_machine.travel(section.bid_deadline + dt.timedelta(seconds=1), tick=False):
        response = delete(bidders[0].client(), location)
    assert response.status_code in (403, 410)
    assert " / " in response.json()["detail"]
    upload = Upload.objects.get()
    assert upload.state == "open" and upload.parts == 1
    assert not LedgerEntry.objects.filter(action="bidding.upload.terminated").exists()


def test_a_complete_upload_is_a_bid_and_cannot_be_terminated(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    assert upload_whole(client, section, data).status_code == 204
    location = create_upload(client, section, data)["Location"]
    response = delete(client, location)
    assert response.status_code == 409
    assert "withdraw" in response.json()["detail"]
    assert Bid.objects.get().status == "received"
    assert Upload.objects.get().state == "complete"


def test_the_same_file_can_be_sent_again_after_its_upload_was_terminated(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = started(bidders[0], section, data)
    assert delete(client, location).status_code == 204
    response = upload_whole(client, section, data)
    assert response.status_code == 204, response.content
    assert Bid.objects.get().size == len(data)
    assert sorted(Upload.objects.values_list("state", flat=True)) == ["complete", "terminated"]
