"""The workbench links centre staff and regulators to the halls they host or supervise (and
staff to the admin); the halls page shows public facts only: nothing about bids before the
deadline."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Person, Role
from realtime.models import Hall, HallStage
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.conftest import client_for
from tests.factories import OrganisationFactory, PersonFactory
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import Holders, draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db
HALLS = reverse("realtime:halls")


def person(organisation: object, role: Role, username: str, **extra: object) -> Person:
    return PersonFactory.create(username=username, organisation=organisation, role=role, **extra)


def dashboard(who: Person) -> str:
    response = client_for(who).get(reverse("accounts:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def halls_page(who: Person) -> str:
    response = client_for(who).get(HALLS)
    assert response.status_code == 200
    return response.content.decode()


def test_centre_staff_see_links_to_the_halls_and_the_admin(holders: Holders) -> None:  # noqa: F811
    staff = person(holders.centre, Role.STAFF, "centre", is_staff=True)
    page = dashboard(staff)
    assert f'href="{HALLS}"' in page
    assert f'href="{reverse("admin:index")}"' in page


def test_a_regulator_sees_the_halls_link_but_no_admin_link(holders: Holders) -> None:  # noqa: F811
    regulator = person(holders.regulator, Role.REGULATOR, "regulator")
    page = dashboard(regulator)
    assert f'href="{HALLS}"' in page
    assert reverse("admin:index") not in page


def test_a_bidder_sees_neither_link(bidders: list[Bidder]) -> None:  # noqa: F811
    page = dashboard(bidders[0].person)
    assert HALLS not in page and reverse("admin:index") not in page


def test_before_the_deadline_the_page_lists_the_section_and_nothing_about_its_bids(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    holders: Holders,  # noqa: F811
    tmp_path: Path,
) -> None:
    bidder = bidders[0]
    response = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    assert response.status_code == 204
    for who in (
        person(holders.centre, Role.STAFF, "centre"),
        person(holders.regulator, Role.REGULATOR, "regulator"),
    ):
        page = halls_page(who)
        assert section.code in page
        assert reverse("realtime:hall", args=[section.code]) in page  # the hall waits
        assert str(HallStage.WAITING.label) in page
        assert bidder.organisation.name not in page
        assert bidder.organisation.credit_code not in page


def test_after_the_deadline_it_links_to_the_hall_with_its_stage(opening: Opening) -> None:  # noqa: F811
    regulator = person(opening.holders.regulator, Role.REGULATOR, "regulator")
    page = halls_page(regulator)
    assert f'href="{reverse("realtime:hall", args=[opening.section.code])}"' in page
    hall = Hall.objects.get(section=opening.section)
    assert str(hall.get_stage_display()) in page


def test_the_halls_of_another_centre_or_regulator_are_not_listed(
    published: Section,  # noqa: F811
) -> None:
    from accounts.models import OrganisationKind

    elsewhere = OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="另一交易中心")
    other_regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="另一局")
    for who in (
        person(elsewhere, Role.STAFF, "other-centre"),
        person(other_regulator, Role.REGULATOR, "other-regulator"),
    ):
        assert published.code not in halls_page(who)


def test_a_draft_is_not_listed_even_for_its_own_centre(
    draft: Section,  # noqa: F811
    holders: Holders,  # noqa: F811
) -> None:
    assert draft.code not in halls_page(person(holders.centre, Role.STAFF, "centre"))
