"""The transparency log's public endpoints: every answer verifies with ggzy_core alone,
bad input is refused in both languages, and a bidder gets its own bid's proof bundle —
from the first head after the deadline, and nobody else ever."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from bidding.models import Bid
from ggzy import signing
from ggzy_core import merkle, tree_head
from supervision import ledger
from supervision.models import LedgerTreeHead
from supervision.transparency import proofs
from supervision.transparency.producer import publish_head
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db


def anyone() -> APIClient:
    return APIClient()


def grow(ticks: int, per_tick: int = 3) -> list[dict[str, Any]]:
    """``ticks`` heads over a growing plain ledger, a minute apart."""
    heads = []
    start = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    for tick in range(ticks):
        with time_machine.travel(start + dt.timedelta(minutes=tick), tick=False):
            for n in range(per_tick):
                ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"t": tick, "n": n})
            heads.append(proofs.head_json(publish_head()))
    return heads


def bilingual(response: Any) -> bool:
    detail = response.json()["detail"]
    return " / " in detail and any("\u4e00" <= char <= "\u9fff" for char in detail)


def test_the_latest_head_is_the_newest_and_verifies() -> None:
    heads = grow(3)
    answer = anyone().get("/api/ledger/heads/latest")
    assert answer.status_code == 200
    assert answer.json() == heads[-1]
    assert tree_head.verify_tree_head(answer.json(), signing.platform_public_key())


def test_before_the_first_head_latest_says_so_in_both_languages() -> None:
    answer = anyone().get("/api/ledger/heads/latest")
    assert answer.status_code == 404
    assert bilingual(answer)


def test_heads_are_listed_oldest_first_after_a_time_and_capped() -> None:
    heads = grow(4, per_tick=1)
    everything = anyone().get("/api/ledger/heads").json()["heads"]
    assert everything == heads
    after = anyone().get("/api/ledger/heads", {"after": heads[1]["timestamp"], "limit": 1})
    assert after.json()["heads"] == [heads[2]]
    for limit in ("0", "501", "-1", "x", "１"):
        refused = anyone().get("/api/ledger/heads", {"limit": limit})
        assert refused.status_code == 400, limit
        assert bilingual(refused)
    assert anyone().get("/api/ledger/heads", {"limit": "500"}).status_code == 200


@pytest.mark.parametrize("after", ["yesterday", "2026-12-01T08:00:00", "0001-01-01T00:00:00+01:00"])
def test_a_time_without_a_zone_or_not_a_time_is_refused(after: str) -> None:
    grow(1)
    refused = anyone().get("/api/ledger/heads", {"after": after})
    assert refused.status_code == 400
    assert bilingual(refused)


def test_consistency_proofs_between_every_pair_of_heads_verify() -> None:
    heads = grow(5, per_tick=3)
    for first in heads:
        for second in heads:
            if first["tree_size"] > second["tree_size"]:
                continue
            answer = anyone().get(
                "/api/ledger/consistency",
                {"first": first["tree_size"], "second": second["tree_size"]},
            )
            assert answer.status_code == 200
            body = answer.json()
            assert merkle.verify_consistency(
                first=body["first"],
                second=body["second"],
                first_root=bytes.fromhex(first["root_hash"]),
                second_root=bytes.fromhex(second["root_hash"]),
                proof=[bytes.fromhex(item) for item in body["proof"]],
            )


@pytest.mark.parametrize(
    ("first", "second"), [("0", "3"), ("4", "3"), ("3", "16"), ("", "3"), ("a", "3"), ("3", None)]
)
def test_consistency_outside_the_published_sizes_is_refused(first: str, second: str | None) -> None:
    grow(5, per_tick=3)  # 15 leaves
    query = {"first": first} if second is None else {"first": first, "second": second}
    refused = anyone().get("/api/ledger/consistency", query)
    assert refused.status_code == 400
    assert bilingual(refused)


def test_an_inclusion_proof_of_every_leaf_verifies_against_its_head() -> None:
    heads = grow(3, per_tick=3)
    head = heads[-1]
    for entry in ledger.visible().order_by("sequence"):
        leaf = tree_head.entry_leaf_hash(ledger.record_of(entry))
        answer = anyone().get(
            "/api/ledger/inclusion", {"leaf_hash": leaf.hex(), "tree_size": head["tree_size"]}
        )
        assert answer.status_code == 200
        body = answer.json()
        assert merkle.verify_inclusion(
            leaf_hash=leaf,
            index=body["leaf_index"],
            size=body["tree_size"],
            proof=[bytes.fromhex(item) for item in body["proof"]],
            root=bytes.fromhex(head["root_hash"]),
        )


def test_a_leaf_not_among_the_first_n_is_not_found() -> None:
    grow(2, per_tick=3)
    last = ledger.visible().order_by("-sequence").first()
    assert last is not None
    leaf = tree_head.entry_leaf_hash(ledger.record_of(last)).hex()
    early = anyone().get("/api/ledger/inclusion", {"leaf_hash": leaf, "tree_size": "3"})
    assert early.status_code == 404
    assert bilingual(early)
    never = anyone().get("/api/ledger/inclusion", {"leaf_hash": "ab" * 32, "tree_size": "6"})
    assert never.status_code == 404


@pytest.mark.parametrize(
    ("leaf_hash", "tree_size"),
    [("AB" * 32, "6"), ("ab" * 31, "6"), ("zz" * 32, "6"), ("ab" * 32, "7"), ("ab" * 32, "0")],
)
def test_malformed_inclusion_questions_are_refused(leaf_hash: str, tree_size: str) -> None:
    grow(2, per_tick=3)
    refused = anyone().get(
        "/api/ledger/inclusion", {"leaf_hash": leaf_hash, "tree_size": tree_size}
    )
    assert refused.status_code == 400
    assert bilingual(refused)


# -- a bid's proof bundle ----------------------------------------------------------------


def submitted(section: Section, bidder: Bidder, tmp_path: Path) -> Bid:  # noqa: F811
    data = seal_bid(section, bidder, tmp_path)
    response = upload_whole(bidder.client(), section, data)
    assert response.status_code == 204, response.content
    return Bid.objects.get(pk=response["Ggzy-Bid"])


def test_a_bidder_gets_a_bundle_that_verifies_and_matches_its_receipt(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    tmp_path: Path,
) -> None:
    bid = submitted(section, bidders[0], tmp_path)
    client = bidders[0].client()
    publish_head()
    early = client.get(f"/api/bids/{bid.pk}/ledger-proof")
    assert early.status_code == 409
    assert bilingual(early)
    assert "北京时间" in early.json()["detail"]

    with time_machine.travel(section.bid_deadline, tick=False):
        publish_head()
        answer = client.get(f"/api/bids/{bid.pk}/ledger-proof")
    assert answer.status_code == 200
    bundle = answer.json()
    assert tree_head.verify_proof_bundle(bundle, signing.platform_public_key()) is None
    receipt = client.get(f"/api/bids/{bid.pk}/receipt").json()[0]["payload"]
    entry = bundle["entry"]
    assert entry["action"] == "bidding.bid.received"
    assert entry["data"]["bid"] == receipt["bid_id"] == str(bid.pk)
    assert (entry["data"]["sm3"], entry["data"]["size"]) == (receipt["sm3"], receipt["size"])
    assert bundle["tree_head"] == proofs.head_json(LedgerTreeHead.objects.latest("id"))


def test_nobody_else_learns_that_the_bid_exists(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    tmp_path: Path,
) -> None:
    bid = submitted(section, bidders[0], tmp_path)
    with time_machine.travel(section.bid_deadline, tick=False):
        publish_head()
        other = bidders[1].client().get(f"/api/bids/{bid.pk}/ledger-proof")
        missing = (
            bidders[1].client().get("/api/bids/00000000-0000-4000-8000-000000000000/ledger-proof")
        )
        anonymous = anyone().get(f"/api/bids/{bid.pk}/ledger-proof")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert anonymous.status_code == 401
