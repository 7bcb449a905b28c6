"""The opening key's shares are released only inside an opening's rescue step [E27, E31]:
after the deadline, in the decryption stage, for a bid the platform failed to decrypt, once
the host has started a rescue; the regulator's share comes first and is always one of the
two that rebuild the key; every release, use and refusal is ledgered."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Organisation, OrganisationKind, Person, Role
from bidding.models import Bid
from ggzy_core.gm import shamir
from realtime import stages
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus, ShareSubmission
from supervision.models import LedgerEntry
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from tests.factories import OrganisationFactory, PersonFactory
from tests.realtime.conftest import Opening, past_the_window
from tests.trading.conftest import Holders
from trading import chronograph
from trading.models import OpeningKeyShare, Section

pytestmark = pytest.mark.django_db

HOLDERS = ("centre", "regulator", "tenderee")
COALITIONS = [(one,) for one in HOLDERS] + list(itertools.combinations(HOLDERS, 2))
ROLE_OF = {"centre": Role.STAFF, "regulator": Role.REGULATOR, "tenderee": Role.TENDEREE}
ADDRESS = "203.0.113.7"


def coalition_id(members: tuple[str, ...]) -> str:
    return "+".join(members)


def holder_org(holders: Holders, name: str) -> Organisation:
    return getattr(holders, name)


def person_of(holders: Holders, name: str) -> Person:
    return PersonFactory.create(organisation=holder_org(holders, name), role=ROLE_OF[name])


def client_of(person: Person) -> APIClient:
    client = APIClient(REMOTE_ADDR=ADDRESS)
    client.force_authenticate(person)
    return client


def share_row(section: Section, organisation: Organisation) -> OpeningKeyShare:
    return OpeningKeyShare.objects.get(section=section, holder=organisation)


def opened(section: Section, holders: Holders, name: str) -> shamir.Share:
    """The holder's share opened with its own key — as if read straight from the database."""
    organisation = holder_org(holders, name)
    return shamir.open_share(
        bytes(share_row(section, organisation).sealed_share), holders.keys[organisation.credit_code]
    )


def url(section: Section, what: str = "share") -> str:
    return f"/api/halls/{section.code}/{what}"


def released() -> int:
    return LedgerEntry.objects.filter(action="realtime.opening_key.share_released").count()


def rebuilt() -> int:
    return LedgerEntry.objects.filter(action="realtime.opening_key.reconstructed").count()


def assert_refused_with_nothing(response: Any, section: Section) -> None:
    assert response.status_code == 409, response.content
    body = response.json()
    assert "sealed_share" not in body and "index" not in body
    for row in OpeningKeyShare.objects.filter(section=section):
        assert bytes(row.sealed_share).hex() not in response.content.decode()
    assert " / " in body["detail"]  # Chinese / English


# --- before the deadline ---------------------------------------------------------------------


@pytest.fixture
def before_deadline(
    section: Section,
    bidders: list[Bidder],
    holders: Holders,
    tmp_path: Path,
) -> Iterator[Section]:
    """Three sealed bids stored; the clock stands 36 minutes before the deadline."""
    for index, bidder in enumerate(bidders):
        data = seal_bid(section, bidder, tmp_path, price=f"4{index}850000.00")
        assert upload_whole(bidder.client(), section, data).status_code == 204
    with time_machine.travel(section.bid_deadline - dt.timedelta(minutes=36), tick=False):
        chronograph.apply_time_events(section.pk)
        section.refresh_from_db()
        yield section


@pytest.mark.parametrize("coalition", COALITIONS, ids=coalition_id)
def test_no_holder_and_no_pair_of_holders_obtains_or_uses_a_share_before_the_deadline(
    before_deadline: Section, holders: Holders, coalition: tuple[str, ...]
) -> None:
    section = before_deadline
    assert Bid.objects.filter(section=section).count() == 3
    for name in coalition:
        holder = person_of(holders, name)
        response = client_of(holder).get(url(section))
        assert_refused_with_nothing(response, section)
        assert "开标" in response.json()["detail"] and "deadline" in response.json()["detail"]
        # Even a share read straight from the database is of no use before the deadline.
        stolen = opened(section, holders, name).to_bytes().hex()
        posted = client_of(holder).post(url(section), {"share": stolen}, format="json")
        assert posted.status_code == 409, posted.content
        assert "rescued" not in posted.json()
    assert released() == 0
    refusals = LedgerEntry.objects.filter(action="realtime.opening_key.share_refused")
    assert [(e.data["request"], e.data["reason"]) for e in refusals] == [
        ("release", "before_deadline"),
        ("use", "before_deadline"),
    ] * len(coalition)
    assert not ShareSubmission.objects.exists()
    assert rebuilt() == 0
    assert BidOpening.objects.count() == 0  # nothing was opened


def test_the_host_cannot_start_a_rescue_before_the_deadline(
    before_deadline: Section, holders: Holders
) -> None:
    host = PersonFactory.create(username="host", organisation=holders.centre, role=Role.STAFF)
    response = client_of(host).post(url(before_deadline, "rescue"))
    assert response.status_code == 409
    assert Hall.objects.get(section=before_deadline).rescue_started_at is None
    assert not LedgerEntry.objects.filter(action="realtime.rescue.started").exists()


def test_people_who_hold_no_share_get_not_found_before_the_deadline(
    before_deadline: Section, bidders: list[Bidder]
) -> None:
    other_centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE)
    for person in (
        bidders[0].person,
        PersonFactory.create(organisation=other_centre, role=Role.STAFF),
    ):
        response = client_of(person).get(url(before_deadline))
        assert response.status_code == 404 and "sealed_share" not in response.json()
    assert not LedgerEntry.objects.filter(action__startswith="realtime.opening_key").exists()


# --- after the deadline, without a rescue ----------------------------------------------------


def to_decryption(state: Opening) -> None:
    stages.enter_next(hall=state.hall, person=state.host)  # bidder list
    stages.enter_next(hall=state.hall, person=state.host)  # decryption window


def fail_on_the_platform(state: Opening, index: int = 2) -> None:
    BidOpening.objects.filter(bid=state.bids[index]).update(
        status=OpeningStatus.FAILED, failure="storage: OSError"
    )


def test_no_holder_gets_a_share_at_the_opening_before_the_decryption_stage(
    opening: Opening,
) -> None:
    assert opening.hall.stage == HallStage.SIGN_IN
    for name in HOLDERS:
        response = client_of(person_of(opening.holders, name)).get(url(opening.section))
        assert_refused_with_nothing(response, opening.section)
        assert "decryption stage" in response.json()["detail"]
    assert released() == 0


def test_no_holder_gets_a_share_when_no_bid_failed_on_the_platform(opening: Opening) -> None:
    to_decryption(opening)
    for name in HOLDERS:
        response = client_of(person_of(opening.holders, name)).get(url(opening.section))
        assert_refused_with_nothing(response, opening.section)
        assert "nothing to rescue" in response.json()["detail"]
    assert released() == 0
    refused = client_of(opening.host).post(url(opening.section, "rescue"))
    assert refused.status_code == 409 and "nothing to rescue" in refused.json()["detail"]
    opening.hall.refresh_from_db()
    assert opening.hall.rescue_started_at is None
    assert not LedgerEntry.objects.filter(action="realtime.rescue.started").exists()


def test_no_holder_gets_or_uses_a_share_until_the_host_starts_the_rescue(
    opening: Opening,
) -> None:
    to_decryption(opening)
    fail_on_the_platform(opening)
    for name in HOLDERS:
        holder = person_of(opening.holders, name)
        response = client_of(holder).get(url(opening.section))
        assert_refused_with_nothing(response, opening.section)
        assert "not started" in response.json()["detail"]
        share = opened(opening.section, opening.holders, name).to_bytes().hex()
        posted = client_of(holder).post(url(opening.section), {"share": share}, format="json")
        assert posted.status_code == 409 and "not started" in posted.json()["detail"]
    assert released() == 0 and not ShareSubmission.objects.exists() and rebuilt() == 0


# --- the rescue ------------------------------------------------------------------------------


@pytest.fixture
def rescue(opening: Opening) -> Opening:
    """Decryption; bid 3 failed on the platform; the host has started the rescue."""
    to_decryption(opening)
    fail_on_the_platform(opening)
    response = client_of(opening.host).post(url(opening.section, "rescue"))
    assert response.status_code == 200, response.content
    opening.hall.refresh_from_db()
    return opening


def give(state: Opening, name: str, person: Person | None = None) -> Any:
    share = opened(state.section, state.holders, name).to_bytes().hex()
    return client_of(person or person_of(state.holders, name)).post(
        url(state.section), {"share": share}, format="json"
    )


def test_only_the_host_starts_a_rescue(opening: Opening) -> None:
    to_decryption(opening)
    fail_on_the_platform(opening)
    for person in (
        opening.bidders[0].person,
        person_of(opening.holders, "tenderee"),
        person_of(opening.holders, "regulator"),
    ):
        assert client_of(person).post(url(opening.section, "rescue")).status_code == 403
    opening.hall.refresh_from_db()
    assert opening.hall.rescue_started_at is None
    started = client_of(opening.host).post(url(opening.section, "rescue"))
    assert started.status_code == 200
    opening.hall.refresh_from_db()
    assert opening.hall.rescue_started_at is not None
    entry = LedgerEntry.objects.get(action="realtime.rescue.started")
    assert entry.actor_person_id == opening.host.pk and entry.network_address == ADDRESS
    assert entry.data["failed"] == 1
    assert opening.hall.events.filter(kind="rescue_started").count() == 1
    again = client_of(opening.host).post(url(opening.section, "rescue"))
    assert again.status_code == 409 and "already" in again.json()["detail"]


def test_the_regulator_gets_its_own_share_and_the_release_is_ledgered(rescue: Opening) -> None:
    regulator = person_of(rescue.holders, "regulator")
    response = client_of(regulator).get(url(rescue.section))
    assert response.status_code == 200, response.content
    row = share_row(rescue.section, rescue.holders.regulator)
    assert response.json() == {
        "index": row.index,
        "mode": "dealt",
        "sealed_share": bytes(row.sealed_share).hex(),
    }
    entry = LedgerEntry.objects.get(action="realtime.opening_key.share_released")
    assert entry.actor_person_id == regulator.pk
    assert entry.network_address == ADDRESS
    assert entry.data == {"holder": rescue.holders.regulator.credit_code, "index": row.index}
    given = give(rescue, "regulator", regulator)
    assert given.status_code == 200 and given.json()["rescued"] == 0
    used = LedgerEntry.objects.get(action="realtime.opening_key.share_used")
    assert used.actor_person_id == regulator.pk and used.network_address == ADDRESS
    assert used.data == {"holder": rescue.holders.regulator.credit_code, "index": row.index}


@pytest.mark.parametrize("name", ["centre", "tenderee"])
def test_centre_and_tenderee_get_their_share_only_after_the_regulator_gave_its_own(
    rescue: Opening, name: str
) -> None:
    holder = person_of(rescue.holders, name)
    early = client_of(holder).get(url(rescue.section))
    assert_refused_with_nothing(early, rescue.section)
    assert "regulator" in early.json()["detail"]
    assert give(rescue, "regulator").json()["rescued"] == 0
    response = client_of(holder).get(url(rescue.section))
    assert response.status_code == 200, response.content
    row = share_row(rescue.section, holder_org(rescue.holders, name))
    assert response.json() == {
        "index": row.index,
        "mode": "dealt",
        "sealed_share": bytes(row.sealed_share).hex(),
    }
    entry = LedgerEntry.objects.get(action="realtime.opening_key.share_released")
    assert entry.actor_person_id == holder.pk and entry.network_address == ADDRESS
    assert entry.data == {
        "holder": holder_org(rescue.holders, name).credit_code,
        "index": row.index,
    }


def outsiders(state: Opening) -> dict[str, Person]:
    other_centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE)
    other_regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR)
    other_tenderee = OrganisationFactory.create(kind=OrganisationKind.TENDEREE)
    return {
        "bidder": state.bidders[0].person,
        "bidder of the failed bid": state.bidders[2].person,
        "another centre": PersonFactory.create(organisation=other_centre, role=Role.STAFF),
        "another regulator": PersonFactory.create(
            organisation=other_regulator, role=Role.REGULATOR
        ),
        "another tenderee": PersonFactory.create(organisation=other_tenderee, role=Role.TENDEREE),
    }


def test_nobody_but_a_holder_learns_of_a_share_even_during_the_rescue(rescue: Opening) -> None:
    assert give(rescue, "regulator").status_code == 200
    for who, person in outsiders(rescue).items():
        response = client_of(person).get(url(rescue.section))
        assert response.status_code == 404, who
        assert "sealed_share" not in response.json()
        posted = client_of(person).post(url(rescue.section), {"share": "01" * 33}, format="json")
        assert posted.status_code == 404, who
    assert released() == 0


def test_centre_and_tenderee_together_do_not_rebuild_the_key_the_regulator_does(
    rescue: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    first = give(rescue, "centre")
    second = give(rescue, "tenderee")
    assert first.status_code == second.status_code == 200
    assert second.json()["rescued"] == 0 and second.json()["rebuilt"] is False
    assert "regulator" in second.json()["detail"] and "监督" in second.json()["detail"]
    assert rebuilt() == 0
    assert BidOpening.objects.get(bid=rescue.bids[2]).status == OpeningStatus.FAILED
    assert ShareSubmission.objects.filter(used_at__isnull=True).count() == 2

    with django_capture_on_commit_callbacks(execute=True):  # the decryption task runs
        third = give(rescue, "regulator")
    assert third.status_code == 200
    assert third.json()["rescued"] == 1 and third.json()["rebuilt"] is True
    assert rebuilt() == 1
    saved = BidOpening.objects.get(bid=rescue.bids[2])
    assert saved.key_source == "opening_key" and saved.status == OpeningStatus.DECRYPTED
    assert all(s.share is None for s in ShareSubmission.objects.all())
    rescue.hall.refresh_from_db()
    assert rescue.hall.rescue_started_at is None  # the rescue is over: no more releases
    late = client_of(person_of(rescue.holders, "tenderee")).get(url(rescue.section))
    assert late.status_code == 409


@pytest.mark.parametrize("pair", [("regulator", "centre"), ("regulator", "tenderee")])
def test_the_regulator_and_one_other_holder_rebuild_the_key(
    rescue: Opening, pair: tuple[str, str]
) -> None:
    outcomes = [give(rescue, name).json() for name in pair]
    assert [o["rescued"] for o in outcomes] == [0, 1]
    entries = LedgerEntry.objects.filter(action="realtime.opening_key.share_used")
    assert [e.data["holder"] for e in entries] == [
        holder_org(rescue.holders, name).credit_code for name in pair
    ]
    assert all(e.network_address == ADDRESS for e in entries)


def test_no_ledger_entry_holds_a_share(rescue: Opening) -> None:
    for name in ("regulator", "centre"):
        person = person_of(rescue.holders, name)
        client_of(person).get(url(rescue.section))
        give(rescue, name, person)
    secrets = [bytes(r.sealed_share).hex() for r in OpeningKeyShare.objects.all()]
    secrets += [opened(rescue.section, rescue.holders, n).to_bytes().hex() for n in HOLDERS]
    written = json.dumps([e.data for e in LedgerEntry.objects.all()], ensure_ascii=False)
    assert LedgerEntry.objects.filter(action__startswith="realtime.opening_key").count() >= 5
    assert not any(secret in written for secret in secrets)


def test_the_window_does_not_withdraw_a_bid_while_its_rescue_is_under_way(
    rescue: Opening,
) -> None:
    with past_the_window(rescue):
        chronograph.apply_time_events(rescue.section.pk)
        rescue.hall.refresh_from_db()
        assert rescue.hall.stage == HallStage.DECRYPTION
        assert BidOpening.objects.get(bid=rescue.bids[2]).status == OpeningStatus.FAILED
        assert BidOpening.objects.get(bid=rescue.bids[0]).status == OpeningStatus.REVOKED
        assert give(rescue, "regulator").status_code == 200
        assert give(rescue, "tenderee").json()["rescued"] == 1


def test_a_holder_can_give_its_share_only_through_its_own_people(rescue: Opening) -> None:
    regulator_share = opened(rescue.section, rescue.holders, "regulator").to_bytes().hex()
    centre = person_of(rescue.holders, "centre")
    response = client_of(centre).post(
        url(rescue.section), {"share": regulator_share}, format="json"
    )
    assert response.status_code == 400 and "not your share" in response.json()["detail"]
    assert not ShareSubmission.objects.exists()
    refusal = LedgerEntry.objects.get(action="realtime.opening_key.share_refused")
    assert refusal.data == {
        "holder": rescue.holders.centre.credit_code,
        "index": share_row(rescue.section, rescue.holders.centre).index,
        "request": "use",
        "reason": "not_yours",
    }
    assert regulator_share not in json.dumps(refusal.data)


def test_one_holders_wrong_share_does_not_block_the_rescue(rescue: Opening) -> None:
    index = share_row(rescue.section, rescue.holders.centre).index
    forged = shamir.Share(index, 12345).to_bytes().hex()
    centre = person_of(rescue.holders, "centre")
    assert (
        client_of(centre).post(url(rescue.section), {"share": forged}, format="json").status_code
        == 200
    )
    refused = give(rescue, "regulator")
    assert refused.status_code == 400 and "do not rebuild" in refused.json()["detail"]
    assert not ShareSubmission.objects.filter(holder=rescue.holders.regulator).exists()
    assert LedgerEntry.objects.filter(
        action="realtime.opening_key.share_refused", data__reason="does_not_rebuild"
    ).exists()
    assert give(rescue, "tenderee").json()["rescued"] == 0  # still waiting for the regulator
    assert give(rescue, "regulator").json()["rescued"] == 1  # with the tenderee's, not the forgery
    assert LedgerEntry.objects.get(action="realtime.opening_key.reconstructed").data["holders"] == [
        rescue.holders.regulator.credit_code,
        rescue.holders.tenderee.credit_code,
    ]
