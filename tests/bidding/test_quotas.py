"""Bounded uploads: no empty parts, a per-organisation quota of open bytes, and a disk
check before a part is accepted (507, resumable: nothing already stored is lost)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from bidding import parts
from bidding.models import Bid, Upload
from tests.bidding.conftest import Bidder, create_upload, patch, seal_bid
from trading.models import Section

pytestmark = pytest.mark.django_db


def stored_parts(upload: Upload) -> list[str]:
    folder = f"bids/uploads/{upload.id}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def test_it_refuses_an_empty_patch_and_stores_no_part(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    assert patch(client, location, data[:1000], 0).status_code == 204
    upload = Upload.objects.get()
    before = (upload.offset, upload.parts, upload.updated_at, stored_parts(upload))

    response = patch(client, location, b"", 1000)

    assert response.status_code == 400
    assert response.json()["code"] == "empty_part" and " / " in response.json()["detail"]
    upload.refresh_from_db()
    assert upload.state == "open"
    assert (upload.offset, upload.parts, upload.updated_at, stored_parts(upload)) == before
    assert stored_parts(upload) == ["part-000001"]
    # and the upload goes on as if nothing had happened
    assert patch(client, location, data[1000:], 1000).status_code == 204
    assert Bid.objects.get().size == len(data)


def test_it_refuses_an_upload_beyond_the_organisations_open_bytes_quota(
    section: Section, bidders: list[Bidder], settings: Any
) -> None:
    settings.BIDDING_OPEN_BYTES_PER_ORGANISATION = 10_000
    client = bidders[0].client()
    first = create_upload(client, section, b"x" * 6_000, key="key-00000001")
    assert first.status_code == 201

    second = create_upload(client, section, b"x" * 5_000, key="key-00000002")

    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "open_quota"
    assert "10000" in body["detail"] and "DELETE" in body["detail"]
    assert "配额" in body["detail"] or "上限" in body["detail"]
    assert Upload.objects.count() == 1
    # Another organisation has its own quota.
    assert create_upload(bidders[1].client(), section, b"x" * 5_000).status_code == 201
    # Terminating the open upload frees its bytes.
    assert client.delete(first["Location"], HTTP_TUS_RESUMABLE="1.0.0").status_code == 204
    assert create_upload(client, section, b"x" * 5_000, key="key-00000002").status_code == 201


def test_a_retried_creation_is_not_counted_twice(
    section: Section, bidders: list[Bidder], settings: Any
) -> None:
    settings.BIDDING_OPEN_BYTES_PER_ORGANISATION = 10_000
    client = bidders[0].client()
    assert create_upload(client, section, b"x" * 8_000).status_code == 201
    assert create_upload(client, section, b"x" * 8_000).status_code == 200


def test_a_full_disk_answers_507_and_the_upload_resumes_later(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.BIDDING_MIN_FREE_BYTES = 1 << 30
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    assert patch(client, location, data[:1000], 0).status_code == 204
    upload = Upload.objects.get()
    real = shutil.disk_usage

    def nearly_full(path: Any) -> Any:
        usage = real(path)
        return usage._replace(free=(1 << 30) + 100)

    monkeypatch.setattr(parts.shutil, "disk_usage", nearly_full)
    refused = patch(client, location, data[1000:], 1000)

    assert refused.status_code == 507
    assert refused.json()["code"] == "storage_full"
    assert "稍后" in refused.json()["detail"] and "later" in refused.json()["detail"]
    upload.refresh_from_db()
    assert upload.state == "open" and upload.offset == 1000 and upload.parts == 1
    assert stored_parts(upload) == ["part-000001"]

    monkeypatch.setattr(parts.shutil, "disk_usage", real)
    assert patch(client, location, data[1000:], 1000).status_code == 204
    assert Bid.objects.get().size == len(data)


def test_the_disk_check_is_skipped_for_object_storage(
    section: Section,
    bidders: list[Bidder],
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.BIDDING_MIN_FREE_BYTES = 1 << 60  # no local disk could hold this reserve
    monkeypatch.setattr(parts.shutil, "disk_usage", lambda path: pytest.fail("disk checked"))
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    assert patch(client, location, data, 0).status_code == 204
    assert Bid.objects.get().size == len(data)
