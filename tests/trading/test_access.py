import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Person, Role
from tests.factories import PersonFactory
from tests.trading.conftest import Holders
from trading import access
from trading.models import Section

pytestmark = pytest.mark.django_db


def test_a_draft_is_invisible_to_bidders_and_the_public(draft: Section, owner: Person) -> None:
    from django.contrib.auth.models import AnonymousUser

    for user in (owner, AnonymousUser()):
        with pytest.raises(Http404):
            access.section_for(user, {"pk": draft.pk})


def test_a_draft_is_visible_to_its_overseers(draft: Section, holders: Holders) -> None:
    staff = PersonFactory.create(organisation=holders.centre, role=Role.STAFF)
    regulator = PersonFactory.create(organisation=holders.regulator, role=Role.REGULATOR)
    for user in (staff, regulator):
        assert access.section_for(user, {"pk": draft.pk}) == draft
        with pytest.raises(PermissionDenied):
            access.section_for(user, {"pk": draft.pk}, manage=True)


def test_a_published_section_is_public_but_managed_only_by_the_tenderee(
    published: Section, owner: Person, tenderee: Person
) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert access.section_for(AnonymousUser(), {"code": published.code}) == published
    assert access.section_for(tenderee, {"pk": published.pk}, manage=True) == published
    with pytest.raises(PermissionDenied):
        access.section_for(owner, {"pk": published.pk}, manage=True)


def test_nobody_sees_downloads_before_the_deadline(
    published: Section, tenderee: Person, holders: Holders
) -> None:
    staff = PersonFactory.create(organisation=holders.centre, role=Role.STAFF)
    with time_machine.travel(published.bid_deadline - dt.timedelta(microseconds=1), tick=False):
        assert not access.can_see_downloads(tenderee, published)
        assert not access.can_see_downloads(staff, published)
    with time_machine.travel(published.bid_deadline, tick=False):
        assert access.can_see_downloads(tenderee, published)
        assert access.can_see_downloads(staff, published)
