"""A section's timeline is told from the ledger: its phases in order, the bids only once
the deadline has passed, and the reading of it ledgered."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from supervision.models import LedgerEntry
from supervision.portal import timeline
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import signed_in

pytestmark = pytest.mark.django_db


def test_a_closed_opening_reads_from_announcement_to_the_signed_record(
    world_at: MakeWorld,
) -> None:
    world = world_at("closed")
    phases = timeline.timeline(world.section)
    with translation.override("en"):
        names = [str(phase.name) for phase in phases]
    assert names[0] == "Announcement and tender documents"
    assert "Opening hall" in names and "Expert draw and evaluation" in names
    actions = [step.action for phase in phases for step in phase.steps]
    assert actions.count("bidding.bid.received") == 3
    assert actions.index("trading.section.opening") < actions.index("realtime.record.signed")
    sequences = [step.entry.sequence for phase in phases for step in phase.steps]
    assert sequences == sorted(sequences)


def test_before_the_deadline_the_timeline_holds_no_bid(world_at: MakeWorld) -> None:
    world = world_at("before")
    actions = [step.action for phase in timeline.timeline(world.section) for step in phase.steps]
    assert "trading.section.created" in actions
    assert not [action for action in actions if action.startswith("bidding.")]


def test_the_page_names_each_step_and_its_reading_is_ledgered(world_at: MakeWorld) -> None:
    world = world_at("closed")
    client = signed_in(world, "regulator")
    response = client.get(reverse("supervision:timeline", kwargs={"code": world.section.code}))
    body = response.content.decode()
    assert "Sealed bid received" in body and "Opening record signed" in body
    viewed = LedgerEntry.objects.filter(action="supervision.portal.timeline_viewed").get()
    assert viewed.data == {"section": world.section.code}


def test_an_unknown_action_is_shown_as_itself() -> None:
    assert timeline.label_of("tests.thing.happened") == "tests.thing.happened"
    with translation.override("en"):
        assert str(timeline.phase_of("realtime.hall.read")) == "Opening hall"
