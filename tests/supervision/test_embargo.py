"""Issue 7, finding 2: the ledger embargo follows the section's CURRENT deadline.

A bid arrives, then a clarification moves the deadline two weeks later [R21]: three minutes
after the ORIGINAL deadline the section is still taking bids, so nobody — not centre staff,
not the superuser — may read that the bid exists [E21, E27].
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import OrganisationKind, Person, Role
from supervision import ledger
from supervision.models import LedgerEmbargo, LedgerEntry
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.factories import OrganisationFactory, PersonFactory
from tests.tools import nothing_changes
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import documents
from trading.models import Section, SectionStatus

pytestmark = pytest.mark.django_db


def centre_staff() -> Person:
    centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="交易中心")
    person = PersonFactory.create(
        username="centre", organisation=centre, role=Role.STAFF, is_staff=True
    )
    person.groups.add(Group.objects.get(name="centre-staff"))
    return person


def superuser() -> Person:
    return PersonFactory.create(
        username="root", organisation=None, role="", is_staff=True, is_superuser=True
    )


def logged_in(people: list[Person], *, raise_request_exception: bool = True) -> list[Client]:
    clients = []
    for person in people:
        client = Client(raise_request_exception=raise_request_exception)
        client.force_login(person)
        clients.append(client)
    return clients


def test_a_moved_deadline_keeps_a_received_bid_hidden_until_the_new_deadline(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    tenderee: Person,  # noqa: F811
    tmp_path: Path,
) -> None:
    bidder = bidders[0]
    response = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    assert response.status_code == 204, response.content
    received = LedgerEntry.objects.get(action="bidding.bid.received")
    original = section.bid_deadline
    moved = original + dt.timedelta(days=14)
    documents.clarification_issue(
        section=section,
        actor=tenderee,
        title="澄清一",
        body="工期调整，截止时间顺延两周",
        new_deadline=moved,
    )
    people = [centre_staff(), superuser()]

    with time_machine.travel(original + dt.timedelta(minutes=3), tick=False):
        clients = logged_in(people)
        section.refresh_from_db()
        assert section.status == SectionStatus.BIDDING  # still taking bids
        assert not ledger.visible().filter(pk=received.pk).exists()
        assert not ledger.visible().filter(action__startswith="bidding.").exists()
        from supervision.admin import change_url

        for client in clients:
            listing = client.get("/admin/supervision/ledgerentry/")
            assert listing.status_code == 200
            page = listing.content.decode()
            assert "bidding.bid.received" not in page
            assert bidder.organisation.credit_code not in page
            detail = client.get(change_url(received))
            assert detail.status_code == 302  # exactly the answer for an entry that does not exist
            assert "bidding.bid.received" not in client.get(detail["Location"]).content.decode()

    with time_machine.travel(moved, tick=False):
        clients = logged_in(people)
        assert ledger.visible().filter(pk=received.pk).exists()
        for client in clients:
            page = client.get("/admin/supervision/ledgerentry/").content.decode()
            assert "bidding.bid.received" in page
            detail = client.get(change_url(received))
            assert detail.status_code == 200
            assert received.data["sm3"] in detail.content.decode()


def test_publication_seals_the_section_and_a_clarification_moves_the_seal(
    published: Section,  # noqa: F811
    tenderee: Person,  # noqa: F811
) -> None:
    seal = LedgerEmbargo.objects.get(scope=published.embargo_scope)
    assert seal.until == published.bid_deadline
    with time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False):
        documents.clarification_issue(section=published, actor=tenderee, title="澄清一", body="无")
        seal.refresh_from_db()
        assert seal.until == published.bid_deadline  # not moved: nothing to move
        later = published.bid_deadline + dt.timedelta(days=7)
        documents.clarification_issue(
            section=published, actor=tenderee, title="澄清二", body="顺延", new_deadline=later
        )
    seal.refresh_from_db()
    assert seal.until == later
    published.refresh_from_db()
    assert published.bid_deadline == later


def test_a_refused_clarification_leaves_the_seal_where_it_was(
    published: Section,  # noqa: F811
    tenderee: Person,  # noqa: F811
) -> None:
    from ggzy.errors import DomainError

    with (
        nothing_changes(Section, LedgerEmbargo),
        time_machine.travel(published.documents_from + dt.timedelta(days=1), tick=False),
        pytest.raises(DomainError),
    ):
        documents.clarification_issue(
            section=published,
            actor=tenderee,
            title="澄清",
            body="提前",
            new_deadline=published.bid_deadline - dt.timedelta(days=1),
        )
    assert LedgerEmbargo.objects.get(scope=published.embargo_scope).until == published.bid_deadline
