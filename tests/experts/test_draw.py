"""The committee draw: the request's rules, avoidance with reasons, a commitment ledgered
before the seats, a replay that gives the same seats, and a fair order."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Person
from experts import draw as draws
from experts.models import (
    AvoidanceReason,
    Draw,
    Expert,
    ExpertStatus,
    Penalty,
    Relationship,
    RelationshipKind,
    Specialty,
    Unavailability,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import draw as order
from ggzy_core.gm.sm3 import sm3
from supervision.models import LedgerEntry
from tests.experts.conftest import expert
from tests.tools import nothing_changes
from trading.models import Section, SectionStatus
from trading.signals import bidders_of

pytestmark = pytest.mark.django_db
BIDDER = "91320100MA0000099X"


def request(section: Section, clerk: Person, codes: dict[str, Specialty], **kw: Any) -> Draw:
    wanted = kw.pop("wanted", [draws.Wanted(codes["A08"], 3, 1), draws.Wanted(codes["D01"], 2, 1)])
    return draws.draw_request(
        section=section,
        wanted=wanted,
        representatives=kw.pop("representatives", 0),
        evaluation_on=kw.pop("evaluation_on", dt.date(2026, 6, 1)),
        actor=clerk,
    )


def library(codes: dict[str, Specialty], water: int = 6, cost: int = 4) -> list[Expert]:
    return [expert(codes["A0801"]) for _ in range(water)] + [
        expert(codes["D01"]) for _ in range(cost)
    ]


@pytest.fixture
def a_bidder() -> Any:
    def answer(sender: Any, **kwargs: Any) -> set[str]:
        return {BIDDER}

    bidders_of.connect(answer, dispatch_uid="test-a-bidder")
    yield
    bidders_of.disconnect(dispatch_uid="test-a-bidder")


@pytest.mark.parametrize(
    ("wanted", "representatives", "says"),
    [((2, 2), 0, "odd"), ((2, 1), 0, "five or more"), ((2, 1), 2, "two thirds")],
)
def test_a_request_needs_five_or_more_an_odd_number_two_thirds_of_them_experts(
    closed: Section,
    clerk: Person,
    codes: dict[str, Specialty],
    wanted: tuple[int, int],
    representatives: int,
    says: str,
) -> None:
    asked = [draws.Wanted(codes["A08"], wanted[0]), draws.Wanted(codes["D01"], wanted[1])]

    with nothing_changes(Draw), pytest.raises(DomainError, match=says):
        request(closed, clerk, codes, wanted=asked, representatives=representatives)


def test_no_draw_before_the_bid_deadline(
    published: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    with pytest.raises(DomainError, match="after the bid deadline"):
        request(published, clerk, codes)


def test_the_draw_commits_in_the_ledger_before_it_seats_and_replays_to_the_same_seats(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    library(codes)
    draw = request(closed, clerk, codes)

    seats = draws.draw_run(draw=draw, actor=clerk)

    draw.refresh_from_db()
    committed = LedgerEntry.objects.get(action="experts.draw.committed")
    drawn = LedgerEntry.objects.get(action="experts.draw.drawn")
    assert committed.sequence < drawn.sequence
    assert committed.data["commitment"] == sm3(bytes.fromhex(draw.secret)).hex()
    assert draw.anchor == committed.entry_hash
    assert [seat.role for seat in seats].count("member") == 5
    assert draws.replay(draw) == draws.stored(draw)
    # Numbers are the A0801 experts (under A08) and the D01 experts, never both.
    assert set(draw.pool["A08"]).isdisjoint(draw.pool["D01"])
    for entry in (committed, drawn):
        assert not any(number in str(entry.data) for number in draw.pool["A08"])


def test_the_replay_command_prints_the_seats_and_notices_a_tampered_seat(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    library(codes)
    draw = request(closed, clerk, codes)
    seats = draws.draw_run(draw=draw, actor=clerk)
    out = io.StringIO()

    call_command("replay_draw", str(draw.pk), stdout=out)
    outsider = expert(codes["A0801"])
    type(seats[0]).objects.filter(pk=seats[0].pk).update(expert=outsider)

    assert "the 7 stored seats are the replay's" in out.getvalue()
    with pytest.raises(CommandError, match="differ"):
        call_command("replay_draw", str(draw.pk), stdout=io.StringIO())


@override_settings(EXPERT_SUPERVISING_DEPARTMENTS=["91320100MA00000885"])
def test_every_avoided_expert_is_recorded_with_its_reason(
    closed: Section, clerk: Person, codes: dict[str, Specialty], a_bidder: None
) -> None:
    tenderee = closed.project.tenderee.credit_code
    day = dt.date(2026, 6, 1)
    library(codes, water=5)
    at_bidder = expert(codes["A0801"], employer=BIDDER)
    at_tenderee = expert(codes["A0801"], employer=tenderee)
    supervisor = expert(codes["A0801"], employer="91320100MA00000885")
    related = expert(codes["A0801"])
    Relationship.objects.create(
        expert=related,
        kind=RelationshipKind.SHAREHOLDING,
        credit_code=BIDDER,
        organisation_name="投标人",
    )
    penalised = expert(codes["A0801"])
    Penalty.objects.create(expert=penalised, imposed_on=day, authority="住建局", reason="迟到")
    draw = request(closed, clerk, codes)

    draws.draw_run(draw=draw, actor=clerk)

    reasons = {row.expert: row.reason for row in draw.exclusions.select_related("expert")}
    assert reasons == {
        at_bidder: AvoidanceReason.EMPLOYER_BIDDER,
        at_tenderee: AvoidanceReason.EMPLOYER_TENDEREE,
        supervisor: AvoidanceReason.SUPERVISOR,
        related: AvoidanceReason.RELATIONSHIP,
        penalised: AvoidanceReason.PENALTY,
    }
    draw.refresh_from_db()
    assert not {e.number for e in reasons} & set(draw.pool["A08"])


def test_a_member_of_a_recent_committee_of_the_same_tenderee_cools_down(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    library(codes, water=4, cost=3)
    first = request(closed, clerk, codes)
    seated = {
        seat.expert for seat in draws.draw_run(draw=first, actor=clerk) if seat.role == "member"
    }
    library(codes, water=4, cost=3)
    second = request(closed, clerk, codes, evaluation_on=dt.date(2026, 6, 10))

    draws.draw_run(draw=second, actor=clerk)

    cooled = {
        row.expert for row in second.exclusions.all() if row.reason == AvoidanceReason.COOL_DOWN
    }
    assert cooled == seated


def test_an_unavailable_suspended_or_junior_expert_is_not_in_the_pool(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    library(codes)
    away = expert(codes["A0801"])
    Unavailability.objects.create(
        expert=away, starts_on=dt.date(2026, 5, 30), ends_on=dt.date(2026, 6, 2)
    )
    suspended = expert(codes["A0801"])
    Expert.objects.filter(pk=suspended.pk).update(status=ExpertStatus.SUSPENDED)
    junior = expert(codes["A0801"], practice_since=2020)
    draw = request(closed, clerk, codes)

    draws.draw_run(draw=draw, actor=clerk)

    draw.refresh_from_db()
    assert {away.number, suspended.number, junior.number}.isdisjoint(draw.pool["A08"])
    assert len(draw.pool["A08"]) == 6


def test_too_few_eligible_experts_refuses_the_draw_and_keeps_nothing(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    library(codes, water=2)
    draw = request(closed, clerk, codes)

    with pytest.raises(DomainError, match="wider specialty"):
        draws.draw_run(draw=draw, actor=clerk)

    draw.refresh_from_db()
    assert draw.status == "requested" and not draw.seats.exists()
    assert not LedgerEntry.objects.filter(action="experts.draw.committed").exists()


def test_every_eligible_expert_is_drawn_about_equally_often() -> None:
    """3,000 draws of 5 from 20: each expert expected 750 times. Chi-square with 19 degrees
    of freedom stays under 43.82 (p = 0.001) for a fair order."""
    pool = {"A08": [f"E{n:03d}" for n in range(20)]}
    counts: Counter[str] = Counter()
    for n in range(3000):
        seed = order.seed(n.to_bytes(32, "big"), "00" * 32)
        counts.update(seat.number for seat in order.seats(seed, [order.Need("A08", 5, 0)], pool))

    expected = 3000 * 5 / 20
    chi_square = sum((counts[number] - expected) ** 2 / expected for number in pool["A08"])
    assert sum(counts.values()) == 15000
    assert chi_square < 43.82, (chi_square, counts.most_common(3))


def test_no_committee_is_drawn_for_a_failed_section(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    wanted = [draws.Wanted(codes["A08"], 5, backups=0)]
    Section.objects.filter(pk=closed.pk).update(status=SectionStatus.FAILED)
    closed.refresh_from_db()
    with pytest.raises(DomainError, match="The section is failed") as refused:
        draws.draw_request(
            section=closed,
            wanted=wanted,
            representatives=0,
            evaluation_on=clock.now().date(),
            actor=clerk,
        )
    assert refused.value.code == "conflict"


def test_cross_region_evaluation_seats_the_experts_owed_from_outside_the_city_and_replays(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    for index in range(12):
        made = expert(codes["A0801"])
        made.region = "320100" if index < 9 else "110105"  # three from Beijing
        made.save(update_fields=["region"])
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 5, backups=2)],
        representatives=0,
        evaluation_on=dt.date(2026, 6, 1),
        actor=clerk,
        outside_city="3201",
        outside_min=3,
    )
    seats = draws.draw_run(draw=draw, actor=clerk)
    draw.refresh_from_db()
    members = [seat for seat in seats if seat.role == "member"]
    assert sum(seat.expert.region.startswith("1101") for seat in members) == 3
    assert len(draw.outside) == 3
    assert draws.replay(draw) == draws.stored(draw)


def test_too_few_from_outside_the_city_refuses_the_draw_and_says_what_to_widen(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    for _ in range(6):
        expert(codes["A0801"])  # all of the city (320100)
    draw = draws.draw_request(
        section=closed,
        wanted=[draws.Wanted(codes["A08"], 5, backups=0)],
        representatives=0,
        evaluation_on=dt.date(2026, 6, 1),
        actor=clerk,
        outside_city="3201",
        outside_min=1,
    )
    with pytest.raises(DomainError, match="from outside the city 3201") as refused:
        draws.draw_run(draw=draw, actor=clerk)
    assert refused.value.code == "too_few"


def test_a_cross_region_request_names_its_city(
    closed: Section, clerk: Person, codes: dict[str, Specialty]
) -> None:
    with pytest.raises(DomainError, match="first four digits"):
        draws.draw_request(
            section=closed,
            wanted=[draws.Wanted(codes["A08"], 5, backups=0)],
            representatives=0,
            evaluation_on=dt.date(2026, 6, 1),
            actor=clerk,
            outside_min=2,
        )
