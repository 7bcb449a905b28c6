import datetime as dt
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Person
from bidding import parts
from bidding.models import Bid, BidStatus, Upload, UploadState
from ggzy import signing
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.receipts import verify_receipt
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, create_upload, live_bids, patch, seal_bid, upload_whole
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_a_sealed_bid_sent_in_parts_gets_a_signed_receipt(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bidder = bidders[0]
    data = seal_bid(section, bidder, tmp_path)
    response = upload_whole(bidder.client(), section, data, parts=4)
    assert response.status_code == 204, response.content
    bid = Bid.objects.get(pk=UUID(response["Ggzy-Bid"]))
    assert bid.sm3 == sm3_hex(data) and bid.size == len(data)
    receipts = bidder.client().get(f"/api/bids/{bid.pk}/receipt").json()
    assert len(receipts) == 1
    assert verify_receipt(receipts[0], signing.platform_public_key())
    assert receipts[0]["payload"]["format"] == "ggzy-receipt/2"
    assert (
        receipts[0]["payload"]["bid_id"] == str(bid.pk) and "sequence" not in receipts[0]["payload"]
    )
    assert receipts[0]["payload"]["sm3"] == sm3_hex(data)
    assert receipts[0]["payload"]["bidder"] == bidder.organisation.credit_code
    assert bid.manifest["section"]["code"] == section.code


def test_an_unencrypted_pdf_is_refused_with_the_reason_and_nothing_is_kept(
    section: Section, bidders: list[Bidder], django_capture_on_commit_callbacks: Any
) -> None:
    data = b"%PDF-1.7\n" + b"plain text proposal\n" * 500
    with django_capture_on_commit_callbacks(execute=True):
        response = upload_whole(bidders[0].client(), section, data, parts=2)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "not_sealed"
    assert "E26" in body["detail"] and "PDF" in body["detail"]
    upload = Upload.objects.get()
    assert upload.state == UploadState.REFUSED and upload.refusal_code == "not_sealed"
    assert not Bid.objects.exists()
    assert not default_storage.exists(upload.part_name(1))
    assert not default_storage.exists(upload.part_name(2))
    refusal = LedgerEntry.objects.get(action="bidding.upload.refused")
    assert refusal.data["code"] == "not_sealed" and refusal.network_address


def test_a_bid_signed_with_a_key_that_is_not_bound_says_so_and_where_to_bind_it(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    stranger = sm2.generate_private_key()
    data = seal_bid(section, bidders[0], tmp_path, signing_key=stranger)
    response = upload_whole(bidders[0].client(), section, data)
    assert response.status_code == 422 and response.json()["code"] == "key_not_bound"
    detail = response.json()["detail"]
    keys_page = reverse("accounts:keys", args=[bidders[0].organisation.pk])
    assert "未绑定到本单位" in detail and "is not bound to your organisation" in detail
    assert detail.count(stranger.public_key().fingerprint()) == 2  # in both languages
    assert detail.count(keys_page) == 2
    assert "signature is invalid" not in detail
    assert not Bid.objects.exists()


def test_binding_a_new_key_keeps_the_received_bid_and_refuses_one_sealed_with_the_old_key(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bidder = bidders[0]
    received = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    assert received.status_code == 204
    sealed_before = seal_bid(section, bidder, tmp_path, price="39000000.00")
    old_fingerprint = bidder.key.public_key().fingerprint()

    account_services.key_bind(
        organisation=bidder.organisation,
        actor=bidder.person,
        key_data=sm2.generate_private_key().public_key().to_pem(),
    )

    assert Bid.objects.get().status == BidStatus.RECEIVED  # the bid in flight is not broken
    late = upload_whole(bidder.client(), section, sealed_before, key="key-00000002")
    assert late.status_code == 422 and late.json()["code"] == "wrong_key"
    detail = late.json()["detail"]
    assert detail.count(old_fingerprint) == 2
    assert "已送达的投标仍然有效" in detail and "bids already received stay valid" in detail
    assert len(live_bids(section)) == 1


def test_a_bid_sealed_for_another_section_is_refused(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path, section_id=section.pk + 1000)
    response = upload_whole(bidders[0].client(), section, data)
    assert response.json()["code"] == "wrong_section"


def test_a_bid_not_sealed_to_the_opening_key_is_refused(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    stranger = sm2.generate_private_key().public_key()
    data = seal_bid(section, bidders[0], tmp_path, opening_key=stranger)
    response = upload_whole(bidders[0].client(), section, data)
    assert response.json()["code"] == "no_opening_recipient"


def test_a_bid_completed_one_millisecond_late_is_refused(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    with time_machine.travel(section.bid_deadline - dt.timedelta(minutes=10), tick=False):
        created = create_upload(client, section, data)
        location = created["Location"]
        assert patch(client, location, data[:1000], 0).status_code == 204
    with time_machine.travel(section.bid_deadline + dt.timedelta(milliseconds=1), tick=False):
        late = patch(client, location, data[1000:], 1000)
    assert late.status_code == 403 and late.json()["code"] == "late"
    assert "E27" in late.json()["detail"]
    assert not Bid.objects.exists()
    assert Upload.objects.get().state == UploadState.REFUSED


def test_the_last_byte_stored_exactly_at_the_deadline_is_late(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    created = create_upload(client, section, data)
    with time_machine.travel(section.bid_deadline, tick=False):
        response = patch(client, created["Location"], data, 0)
    assert response.json()["code"] == "late"


def test_a_bid_completed_one_millisecond_early_counts(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    created = create_upload(client, section, data)
    moment = section.bid_deadline - dt.timedelta(milliseconds=1)
    with time_machine.travel(moment, tick=False):
        response = patch(client, created["Location"], data, 0)
    assert response.status_code == 204
    assert Bid.objects.get().received_at == moment


def test_no_upload_starts_after_the_deadline(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    with time_machine.travel(section.bid_deadline, tick=False):
        response = create_upload(bidders[0].client(), section, data)
    assert response.status_code == 400 and response.json()["code"] == "late"
    assert not Upload.objects.exists()


def test_a_second_bid_is_refused_but_an_explicit_replace_works(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    bidder = bidders[0]
    first = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    second = seal_bid(section, bidder, tmp_path, price="46000000.00")
    refused = upload_whole(bidder.client(), section, second, key="key-00000002")
    assert refused.json()["code"] == "second_bid" and "replace" in refused.json()["detail"]
    replaced = upload_whole(
        bidder.client(), section, second, key="key-00000003", replaces=first["Ggzy-Bid"]
    )
    assert replaced.status_code == 204
    old = Bid.objects.get(pk=UUID(first["Ggzy-Bid"]))
    assert old.status == BidStatus.REPLACED and old.replaced_by_id == UUID(replaced["Ggzy-Bid"])
    assert [bid.pk for bid in live_bids(section)] == [UUID(replaced["Ggzy-Bid"])]


def test_a_retried_patch_at_an_old_offset_is_told_where_the_server_is(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    patch(client, location, data[:500], 0)
    retry = patch(client, location, data[:500], 0)
    assert retry.status_code == 409 and retry["Upload-Offset"] == "500"
    assert client.head(location, HTTP_TUS_RESUMABLE="1.0.0")["Upload-Offset"] == "500"


def test_the_same_idempotency_key_finds_the_same_upload(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    first = create_upload(client, section, data)
    again = create_upload(client, section, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first["Location"] == again["Location"]
    assert Upload.objects.count() == 1


def test_a_retried_final_patch_returns_the_same_bid_not_a_second(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    first = patch(client, location, data, 0)
    again = patch(client, location, b"", len(data))
    assert first["Ggzy-Bid"] == again["Ggzy-Bid"]
    assert Bid.objects.count() == 1


def test_resuming_on_another_process_rebuilds_the_hash_from_storage(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    patch(client, location, data[:3000], 0)
    parts.hashers.forget(Upload.objects.get())  # what a different daphne process would have
    response = patch(client, location, data[3000:], 3000)
    assert Bid.objects.get(pk=UUID(response["Ggzy-Bid"])).sm3 == sm3_hex(data)


def test_sending_more_than_declared_is_refused(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    data = seal_bid(section, bidders[0], tmp_path)
    client = bidders[0].client()
    location = create_upload(client, section, data)["Location"]
    response = patch(client, location, data + b"extra", 0)
    assert response.json()["code"] == "length_mismatch"
    assert not Bid.objects.exists()


def test_nobody_else_sees_an_upload_or_a_bid(
    section: Section, bidders: list[Bidder], tmp_path: Path, staff: Person
) -> None:
    from rest_framework.test import APIClient

    owner, other = bidders[0], bidders[1]
    response = upload_whole(owner.client(), section, seal_bid(section, owner, tmp_path))
    bid_id = response["Ggzy-Bid"]
    upload = Upload.objects.get()
    admin = APIClient()
    admin.force_authenticate(staff)  # centre staff: no more right to see a bid than anyone
    for client in (other.client(), admin):
        assert client.get(f"/api/bids/{bid_id}/receipt").status_code == 404
        assert client.head(f"/api/bids/uploads/{upload.pk}").status_code == 404
        assert client.get("/api/bids").json() == []


def test_bid_ledger_entries_stay_hidden_until_the_deadline(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    from supervision import ledger

    upload_whole(bidders[0].client(), section, seal_bid(section, bidders[0], tmp_path))
    received = LedgerEntry.objects.get(action="bidding.bid.received")
    assert received.embargo == section.embargo_scope == f"trading.section:{section.pk}"
    assert not ledger.visible().filter(action__startswith="bidding.").exists()
    assert ledger.visible(section.bid_deadline).filter(pk=received.pk).exists()
    assert received.network_address is not None


def test_the_same_legal_representative_is_flagged_not_refused(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    from tests.bidding.conftest import make_bidder

    first = make_bidder("甲公司", legal_representative_id_digest="a" * 64)
    second = make_bidder("乙公司", legal_representative_id_digest="a" * 64)
    upload_whole(first.client(), section, seal_bid(section, first, tmp_path))
    response = upload_whole(second.client(), section, seal_bid(section, second, tmp_path))
    assert response.status_code == 204
    bid = Bid.objects.get(pk=UUID(response["Ggzy-Bid"]))
    assert bid.flags[0]["signals"][0] == "same_legal_representative"
    assert bid.flags[0]["organisation"] == first.organisation.credit_code
