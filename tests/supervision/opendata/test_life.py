"""A section walked through its life: every release it makes says what may be public at that
moment and nothing more, validates against the official schema, and compiles into a record
(ocdsmerge) that validates too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from award import services as award_services
from supervision.opendata import mapping
from tests.award.world import to_award, to_contract, to_publicity
from tests.realtime.conftest import Opening
from tests.supervision.opendata.conftest import CLARIFICATION_TITLE
from tests.supervision.opendata.ocds import (
    AWARDED,
    BEFORE,
    CONTRACTED,
    OPENING,
    READ,
    assert_may_be_public,
    documents_of,
    record_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

PRICES = [40850000, 41850000, 42850000]  # what tests/realtime/conftest.py seals


def _check(releases: list[dict[str, Any]], moments: list[str], opening: Opening) -> None:
    assert len(releases) == len(moments), [r["tag"] for r in releases]
    for release, moment in zip(releases, moments, strict=True):
        assert_may_be_public(release, moment, bidders=opening.bidders, prices=PRICES)


def test_every_release_of_a_section_s_life_says_only_what_may_be_public_then(
    opening: Opening,
) -> None:
    client = Client()
    section = opening.section
    # Published, clarified (deadline moved), three bids in, the deadline passed.
    releases = documents_of(section)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderAmendment"], ["tenderUpdate"]]
    _check(releases, [BEFORE, BEFORE, OPENING], opening)
    tender, amended = releases[0]["tender"], releases[1]["tender"]
    assert amended["amendments"][0]["description"] == CLARIFICATION_TITLE
    assert amended["tenderPeriod"]["endDate"] == mapping.when(section.bid_deadline)
    assert tender["tenderPeriod"]["endDate"] < amended["tenderPeriod"]["endDate"]
    assert releases[0]["ocid"] == f"ocds-ggzy00-{section.code}"
    assert (
        record_of(client, section)["records"][0]["compiledRelease"]["tender"]["numberOfTenderers"]
        == 3
    )

    # The hall closes (decrypted, read out, confirmed), the committee evaluates and signs:
    # the reading is public from the close; the evaluation and the publicity add nothing.
    world = to_publicity(opening)
    try:
        releases = documents_of(section)
        _check(releases, [BEFORE, BEFORE, OPENING, READ], opening)
        to_award(world)
        releases = documents_of(section)
        assert releases[-1]["tag"] == ["award"]
        _check(releases, [BEFORE, BEFORE, OPENING, READ, AWARDED], opening)
        to_contract(world)
    finally:
        world.stop()
    releases = documents_of(section)
    assert releases[-1]["tag"] == ["contract"]
    _check(releases, [BEFORE, BEFORE, OPENING, READ, AWARDED, CONTRACTED], opening)

    compiled = record_of(client, section)["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    assert compiled["tender"]["status"] == "complete"
    assert [c["id"] for c in compiled["contracts"]] == [f"{section.code}-contract-1"]
    assert len(compiled["bids"]["details"]) == 3
    roles = {p["name"]: set(p["roles"]) for p in compiled["parties"]}
    assert roles[opening.bidders[0].organisation.name] == {"tenderer", "supplier"}
    assert roles[section.project.tenderee.name] == {"buyer", "procuringEntity"}


def test_a_declined_award_is_cancelled_and_the_next_candidate_s_award_follows(
    opening: Opening,
) -> None:
    world = to_publicity(opening)
    try:
        first = to_award(world)
        award_services.award_decline(
            award=first, actor=world.tenderee, reason="工期无法满足，放弃中标"
        )
        declined = documents_of(opening.section)[-1]
        second = award_services.award_issue(section=world.section, actor=world.tenderee)
        assert second.rank == 2
    finally:
        world.stop()
    assert declined["tag"] == ["awardUpdate"]
    assert [a["status"] for a in declined["awards"]] == ["cancelled"]
    assert "工期无法满足" not in str(declined)  # the winner's own reason stays with the parties
    latest = documents_of(opening.section)[-1]
    assert latest["tag"] == ["award"]
    assert [(a["id"].rsplit("-", 1)[1], a["status"]) for a in latest["awards"]] == [
        ("1", "cancelled"),
        ("2", "active"),
    ]
    assert latest["awards"][1]["suppliers"][0]["name"] == opening.bidders[1].organisation.name
    compiled = record_of(Client(), opening.section)["records"][0]["compiledRelease"]
    assert [a["status"] for a in compiled["awards"]] == ["cancelled", "active"]
