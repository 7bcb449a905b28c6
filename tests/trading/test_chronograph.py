import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from supervision.models import LedgerEntry
from trading import chronograph
from trading.models import Section, SectionStatus
from trading.signals import count_live_bids

pytestmark = pytest.mark.django_db


@pytest.fixture
def bids_held() -> Iterator[dict[str, int]]:
    """Stands in for the bidding floor's answer: how many live bids a section has."""
    held = {"count": 0}

    def answer(sender: Any, section: Section, **kwargs: Any) -> int:
        return held["count"]

    count_live_bids.connect(answer, dispatch_uid="test-bids-held")
    yield held
    count_live_bids.disconnect(dispatch_uid="test-bids-held")


def tick_at(moment: dt.datetime, section: Section) -> list[str]:
    with time_machine.travel(moment, tick=False):
        return chronograph.apply_time_events(section.pk)


def test_nothing_happens_before_the_documents_are_issued(published: Section) -> None:
    assert tick_at(published.documents_from - dt.timedelta(microseconds=1), published) == []
    published.refresh_from_db()
    assert published.status == SectionStatus.PUBLISHED


def test_bidding_opens_when_the_documents_are_issued(published: Section) -> None:
    assert tick_at(published.documents_from, published) == ["documents_issued"]
    published.refresh_from_db()
    assert published.status == SectionStatus.BIDDING
    assert published.next_check == published.bid_deadline


def test_three_bids_at_the_deadline_open_the_hall(
    published: Section, bids_held: dict[str, int]
) -> None:
    bids_held["count"] = 3
    tick_at(published.documents_from, published)
    assert tick_at(published.bid_deadline, published) == ["submissions_closed"]
    published.refresh_from_db()
    assert published.status == SectionStatus.OPENING and published.next_check is None
    entry = LedgerEntry.objects.get(action="trading.section.opening")
    assert entry.data["bids"] == 3 and entry.actor_name == "system"


def test_fewer_than_three_bids_fail_the_section(
    published: Section, bids_held: dict[str, int]
) -> None:
    bids_held["count"] = 2
    tick_at(published.documents_from, published)
    tick_at(published.bid_deadline, published)
    published.refresh_from_db()
    assert published.status == SectionStatus.FAILED
    assert "R44" in published.status_reason


def test_a_late_tick_applies_every_due_event_in_order(
    published: Section, bids_held: dict[str, int]
) -> None:
    bids_held["count"] = 5
    late = published.bid_deadline + dt.timedelta(hours=3)
    assert tick_at(late, published) == ["documents_issued", "submissions_closed"]
    published.refresh_from_db()
    assert published.status == SectionStatus.OPENING
    actions = list(
        LedgerEntry.objects.filter(action__startswith="trading.section.").values_list(
            "action", flat=True
        )
    )
    assert actions[-2:] == ["trading.section.bidding", "trading.section.opening"]


def test_a_repeated_tick_changes_nothing(published: Section, bids_held: dict[str, int]) -> None:
    bids_held["count"] = 4
    moment = published.bid_deadline + dt.timedelta(seconds=1)
    first = tick_at(moment, published)
    entries = LedgerEntry.objects.count()
    assert tick_at(moment, published) == []
    assert tick_at(moment + dt.timedelta(days=1), published) == []
    assert first == ["documents_issued", "submissions_closed"]
    assert LedgerEntry.objects.count() == entries


def test_a_late_tick_and_an_on_time_tick_end_the_same(
    published: Section, bids_held: dict[str, int]
) -> None:
    bids_held["count"] = 3
    tick_at(published.documents_from, published)
    tick_at(published.bid_deadline, published)
    on_time = Section.objects.values("status", "next_check").get(pk=published.pk)

    Section.objects.filter(pk=published.pk).update(
        status=SectionStatus.PUBLISHED, next_check=published.documents_from
    )
    tick_at(published.bid_deadline + dt.timedelta(days=2), published)
    late = Section.objects.values("status", "next_check").get(pk=published.pk)
    assert on_time == late == {"status": SectionStatus.OPENING, "next_check": None}


def test_the_sweep_finds_only_what_is_due(published: Section, bids_held: dict[str, int]) -> None:
    with time_machine.travel(published.documents_from - dt.timedelta(minutes=1), tick=False):
        assert chronograph.sweep() == {}
    with time_machine.travel(published.documents_from + dt.timedelta(minutes=1), tick=False):
        assert chronograph.sweep() == {published.pk: ["documents_issued"]}
        assert chronograph.sweep() == {}


def test_a_moved_deadline_moves_the_chronograph(
    published: Section, bids_held: dict[str, int]
) -> None:
    bids_held["count"] = 3
    tick_at(published.documents_from, published)
    later = published.bid_deadline + dt.timedelta(days=5)
    Section.objects.filter(pk=published.pk).update(bid_deadline=later)
    published.refresh_from_db()
    chronograph.reschedule(published)
    assert Section.objects.get(pk=published.pk).next_check == later
    assert tick_at(later - dt.timedelta(days=1), published) == []
    assert Section.objects.get(pk=published.pk).status == SectionStatus.BIDDING
