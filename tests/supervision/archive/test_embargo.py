"""An archive sealed while another section still hides its bids carries nothing that depends
on how many there are: no sequence, hash or checkpoint after the first hidden entry [E21]."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from accounts.models import Person
from ggzy import clock
from supervision import ledger
from supervision.archive import builder
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from tests.supervision.archive.conftest import files_of, verified
from tests.trading.conftest import section_fields, upload
from trading import documents
from trading import services as trading_services
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_an_archive_is_the_same_whether_one_or_three_bids_are_hidden_elsewhere(
    section: Section, bidders: list[Bidder], tenderee: Person, tmp_path: Path
) -> None:
    other = trading_services.section_create(
        project=section.project, actor=tenderee, **section_fields(name="施工二标段")
    )
    documents.document_issue(section=other, actor=tenderee, title="招标文件", upload=upload())
    ledger.checkpoint()  # signs the document's entry: a full record in both worlds
    envelopes = [seal_bid(section, bidder, tmp_path) for bidder in bidders]

    def world(hidden_bids: int) -> dict[str, bytes]:
        for index in range(hidden_bids):
            response = upload_whole(bidders[index].client(), section, envelopes[index])
            assert response.status_code == 204
        trading_services.section_cancel(section=other, actor=tenderee, reason="合并招标")
        ledger.checkpoint()  # signs the head: after the hidden bids, so not in the package
        other.refresh_from_db()
        package = builder.build(other, sealed_at=clock.now()).data
        verified(package)
        return files_of(package)

    before = transaction.savepoint()
    one = world(1)
    transaction.savepoint_rollback(before)
    three = world(3)
    assert LedgerEntry.objects.filter(action="bidding.bid.received").count() == 3
    assert not ledger.visible().filter(action="bidding.bid.received").exists()

    assert one.keys() == three.keys()
    for name in one:
        if name != "manifest.sig":  # SM2 signatures are randomised
            assert one[name] == three[name], name
    lines = [json.loads(line) for line in three["ledger/entries.jsonl"].splitlines()]
    cancelled = next(line for line in lines if line["action"] == "trading.section.cancelled")
    assert "sequence" not in cancelled and "previous_hash" not in cancelled
    assert "entry_hash" not in cancelled
    assert len(three["ledger/checkpoints.jsonl"].splitlines()) == 1
