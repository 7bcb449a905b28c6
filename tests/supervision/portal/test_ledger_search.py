"""The regulator searches the ledger by section, action, address and number; sees nothing
about bids before the deadline; exports what it found; every search is itself ledgered."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from supervision import ledger
from supervision.models import LedgerEntry
from supervision.opaque_ids import opaque_id
from tests.security.conftest import MakeWorld
from tests.security.world import World
from tests.supervision.portal.people import person, signed_in

pytestmark = pytest.mark.django_db


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def regulator(world: World) -> Client:
    client = signed_in(world, "regulator")
    return client


def test_before_the_deadline_a_search_by_section_shows_no_bid(world_at: MakeWorld) -> None:
    world = world_at("before")
    response = regulator(world).get(reverse("supervision:ledger"), {"section": world.section.code})
    assert response.status_code == 200
    actions = [entry.action for entry, _number, _label, _link in response.context["rows"]]
    assert "trading.section.created" in actions
    assert not any(action.startswith("bidding.") for action in actions)


def test_after_the_deadline_the_sections_bids_are_found_with_their_addresses(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    response = regulator(world).get(
        reverse("supervision:ledger"),
        {"section": world.section.code, "action": "bidding.bid.received"},
    )
    rows = response.context["rows"]
    assert len(rows) == 3
    assert {entry.target_id for entry, _n, _l, _k in rows} >= {str(world.bid.pk)}
    address = rows[0][0].network_address
    by_address = regulator(world).get(
        reverse("supervision:ledger"), {"address": address, "action": "bidding."}
    )
    assert all(entry.network_address == address for entry, _n, _l, _k in by_address.context["rows"])


def test_numbers_that_would_count_hidden_entries_are_not_shown_nor_searchable(
    world_at: MakeWorld,
) -> None:
    world = world_at("before")
    hidden = ledger.first_hidden()
    assert hidden is not None  # the three bids, sealed until the deadline
    later = ledger.append("tests.something.visible")
    client = regulator(world)
    page = client.get(reverse("supervision:ledger"), {"action": "tests."})
    ((entry, number, _label, _link),) = page.context["rows"]
    assert entry.sequence == later.sequence and number is None
    assert f">{later.sequence}<" not in page.content.decode()
    by_number = client.get(reverse("supervision:ledger"), {"sequence": later.sequence})
    assert by_number.context["rows"] == []
    early = client.get(reverse("supervision:ledger"), {"sequence": 1})
    assert [number for _e, number, _l, _k in early.context["rows"]] == [1]


def test_a_search_is_ledgered_with_its_filters(world_at: MakeWorld) -> None:
    world = world_at("before")
    regulator(world).get(reverse("supervision:ledger"), {"action": "trading."})
    entry = LedgerEntry.objects.filter(action="supervision.portal.ledger_searched").last()
    assert entry is not None
    assert entry.data["filters"] == {"action": "trading."}
    assert entry.actor_person_id == person(world, "regulator").pk


def test_a_malformed_filter_is_refused_with_what_to_type(world_at: MakeWorld) -> None:
    world = world_at("before")
    response = regulator(world).get(reverse("supervision:ledger"), {"action": "DROP TABLE"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "bidding.bid.received" in response.content.decode()


def test_the_export_gives_the_found_entries_as_csv_and_json(world_at: MakeWorld) -> None:
    world = world_at("closed")
    client = regulator(world)
    query = {"section": world.section.code, "action": "bidding.bid.received"}
    as_csv = client.get(reverse("supervision:ledger_export", args=["csv"]), query)
    assert as_csv["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(streamed(as_csv).decode())))
    assert len(table) == 3 and {row["action"] for row in table} == {"bidding.bid.received"}
    as_json = client.get(reverse("supervision:ledger_export", args=["json"]), query)
    records = json.loads(streamed(as_json))
    assert [record["entry_hash"] for record in records] == [row["entry_hash"] for row in table]
    assert LedgerEntry.objects.filter(action="supervision.portal.ledger_exported").count() == 2


def test_an_unknown_export_format_is_not_found(world_at: MakeWorld) -> None:
    world = world_at("before")
    response = regulator(world).get(reverse("supervision:ledger_export", args=["xml"]))
    assert response.status_code == 404


def test_an_entry_is_found_by_its_link_id_and_a_hidden_one_is_not(world_at: MakeWorld) -> None:
    world = world_at("before")
    client = regulator(world)
    shown = LedgerEntry.objects.filter(action="trading.section.created").first()
    hidden = LedgerEntry.objects.filter(action="bidding.bid.received").first()
    assert shown is not None and hidden is not None
    found = client.get(
        reverse("supervision:ledger"), {"entry": opaque_id(LedgerEntry, shown.sequence)}
    )
    assert [entry for entry, _n, _l, _k in found.context["rows"]] == [shown]
    sealed = client.get(
        reverse("supervision:ledger"), {"entry": opaque_id(LedgerEntry, hidden.sequence)}
    )
    assert sealed.context["rows"] == []
    assert "bidding.bid.received" not in sealed.content.decode()


def test_a_person_is_found_by_user_name_and_an_unknown_name_finds_nothing(
    world_at: MakeWorld,
) -> None:
    world = world_at("before")
    tenderee = person(world, "tenderee")
    client = regulator(world)
    found = client.get(reverse("supervision:ledger"), {"person": tenderee.username})
    rows = found.context["rows"]
    assert rows and all(entry.actor_person_id == tenderee.pk for entry, _n, _l, _k in rows)
    nobody = client.get(reverse("supervision:ledger"), {"person": "no-such-user"})
    assert nobody.context["rows"] == []
