"""The opening hall's bidder list shows each bidder's deposit state to the host, the regulator
and the tenderee; a bidder sees its own only, the public none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Person, Role
from deposits import collection, positions
from deposits.matching import record_line
from deposits.models import Guarantee, Issuer, IssuerKind
from ggzy import clock
from realtime import snapshot
from tests.bidding.conftest import Bidder, bidders, section  # noqa: F401
from tests.conftest import client_for
from tests.deposits.conftest import credit
from tests.factories import PersonFactory, credit_code
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db


def guarantee_for(where: Section, bidder: Bidder) -> Guarantee:
    """A valid guarantee as the guarantees service stores one (its checks are its own tests)."""
    issuer = Issuer.objects.create(
        name="示范财产保险股份有限公司",
        credit_code=credit_code(),
        kind=IssuerKind.INSURER,
        public_key_pem="-",
        key_fingerprint="f" * 64,
        registered_at=clock.now(),
    )
    return Guarantee.objects.create(
        number="BH-2026-0001",
        verification_code="123456",
        issuer=issuer,
        section=where,
        bidder=bidder.organisation,
        beneficiary=where.project.tenderee,
        amount=where.bid_deposit,
        valid_from=clock.now().date(),
        valid_until=clock.now().date() + dt.timedelta(days=120),
        document=ContentFile(b"%PDF guarantee", name="bh.pdf"),
        document_sm3="0" * 64,
        payload={},
        signature=b"",
        received_at=clock.now(),
    )


@pytest.fixture
def hall_with_deposits(
    request: pytest.FixtureRequest,
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
) -> Opening:
    """Three bids at the opening: the first bidder paid, the second gave a guarantee, the
    third has nothing."""
    payer = bidders[0]
    collection.basic_account_register(
        organisation=payer.organisation,
        number="6222000011110001",
        name=payer.organisation.name,
        bank="示范银行",
        actor=payer.person,
    )
    sub = collection.sub_account_for(section=section, bidder=payer.organisation, actor=payer.person)
    record_line(credit(sub.number, "800000.00", payer="6222000011110001"), source="feed")
    guarantee_for(section, bidders[1])
    at_the_opening: Opening = request.getfixturevalue("opening")
    return at_the_opening


def deposits_shown(state: dict[str, Any]) -> dict[str, str]:
    return {row["bidder"]: row["deposit"]["state"] for row in state["bidders"] if "deposit" in row}


def test_the_host_regulator_and_tenderee_see_every_bidders_deposit(
    hall_with_deposits: Opening, tenderee: Person
) -> None:
    hall = hall_with_deposits
    regulator = PersonFactory.create(organisation=hall.holders.regulator, role=Role.REGULATOR)
    names = [bidder.organisation.name for bidder in hall.bidders]
    expected = {
        names[0]: positions.State.PAID,
        names[1]: positions.State.GUARANTEED,
        names[2]: positions.State.MISSING,
    }
    for person in (hall.host, regulator, tenderee):
        assert deposits_shown(snapshot.snapshot(hall.hall, person)) == expected


def test_a_bidder_sees_its_own_deposit_only_and_the_public_none(
    hall_with_deposits: Opening,
) -> None:
    hall = hall_with_deposits
    own = deposits_shown(snapshot.snapshot(hall.hall, hall.bidders[2].person))
    public = deposits_shown(snapshot.snapshot(hall.hall, AnonymousUser()))
    stranger = deposits_shown(snapshot.snapshot(hall.hall, PersonFactory.create(role=Role.BIDDER)))

    assert own == {hall.bidders[2].organisation.name: positions.State.MISSING}
    assert public == {} and stranger == {}


def test_the_snapshot_api_carries_the_deposit_to_the_host_and_not_to_the_public(
    hall_with_deposits: Opening,
) -> None:
    hall = hall_with_deposits
    url = reverse("api:hall", args=[hall.section.code])
    hosted = client_for(hall.host).get(url).json()
    public = client_for(PersonFactory.create(role=Role.BIDDER)).get(url).json()

    assert hosted["bidders"][0]["deposit"] == {"state": "paid", "covered": True}
    assert all("deposit" not in row for row in public["bidders"])


def test_the_hall_page_has_the_deposit_column_and_its_labels_in_both_languages(
    hall_with_deposits: Opening,
) -> None:
    hall = hall_with_deposits
    url = reverse("realtime:hall", args=[hall.section.code])
    chinese = client_for(hall.host).get(url).content.decode()
    english = client_for(hall.host).get(url, headers={"accept-language": "en"}).content.decode()

    assert 'id="bidders-deposit" hidden' in chinese and '<html lang="zh-hans">' in chinese
    assert '"deposits": {' in english and '"guaranteed": "Electronic guarantee"' in english
    assert '<html lang="en">' in english


def test_a_deposit_forfeited_in_the_hall_shows_at_the_next_snapshot(
    hall_with_deposits: Opening,
) -> None:
    from deposits import decisions

    hall = hall_with_deposits
    decisions.forfeit(
        section=hall.section,
        bidder=hall.bidders[0].organisation,
        reason="截止后撤销投标文件 [R35]，经核实",
        actor=hall.host,
    )
    shown = deposits_shown(snapshot.snapshot(hall.hall, hall.host))
    assert shown[hall.bidders[0].organisation.name] == positions.State.FORFEITED
    assert positions.of(hall.section, hall.bidders[0].organisation).paid == Decimal(0)
