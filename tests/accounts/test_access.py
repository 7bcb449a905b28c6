import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import access
from accounts.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_owner_may_see_and_manage_its_organisation(owner: Person) -> None:
    assert access.organisation_for(owner, owner.organisation_id, manage=True) == owner.organisation


def test_a_plain_member_may_see_but_not_manage(owner: Person) -> None:
    member = PersonFactory.create(organisation=owner.organisation)
    assert access.organisation_for(member, owner.organisation_id) == owner.organisation
    with pytest.raises(PermissionDenied):
        access.organisation_for(member, owner.organisation_id, manage=True)


def test_another_company_cannot_even_learn_the_organisation_exists(
    owner: Person, other_party: Person
) -> None:
    with pytest.raises(Http404):
        access.organisation_for(other_party, owner.organisation_id)
    with pytest.raises(Http404):
        access.organisation_for(other_party, 999_999)


def test_an_outsider_sees_nothing(owner: Person, outsider: Person) -> None:
    with pytest.raises(Http404):
        access.organisation_for(outsider, owner.organisation_id)


def test_staff_may_see_but_not_manage_a_company(owner: Person, staff: Person) -> None:
    assert access.organisation_for(staff, owner.organisation_id) == owner.organisation
    with pytest.raises(PermissionDenied):
        access.organisation_for(staff, owner.organisation_id, manage=True)
