"""Django admin stays behind the services: centre staff cannot grant themselves or anyone a
permission they lack, move a person across organisations or change an organisation's kind;
every change admin does make goes through a service (locked, guarded, ledgered with before
and after), and the decision for every field is written down here, so that a new field
without a decision fails."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.forms import BaseForm, MultiWidget
from django.test import Client
from knox.models import AuthToken

from accounts import services
from accounts.models import Organisation, OrganisationKind, Person, Role
from supervision.models import LedgerEntry
from tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

# What centre staff may change in admin, field by field. True: through a service, ledgered
# with before/after. False: read-only for them (the superuser may change some of these, also
# only through a service).
CENTRE_STAFF_MAY_CHANGE_PERSON: dict[str, bool] = {
    "id": False,
    "password": False,  # only the superuser, on the password page, through a service
    "last_login": False,
    "is_superuser": False,
    "username": False,  # the name the ledger knows a person by
    "first_name": True,
    "last_name": True,
    "email": True,
    "is_staff": False,
    "is_active": False,
    "date_joined": False,
    "organisation": False,
    "role": False,
    "display_name": True,
    "phone": True,
    "is_organisation_admin": False,
    "groups": False,
    "user_permissions": False,
}
CENTRE_STAFF_MAY_CHANGE_ORGANISATION: dict[str, bool] = {
    "id": False,
    "name": True,
    "credit_code": False,
    "kind": False,
    "legal_representative": True,
    "legal_representative_id_digest": False,
    "address": True,
    "contact_phone": True,
    "is_active": False,
    "created_at": False,
}
# The escalations of issue 7, tried one at a time.
PROTECTED_PERSON_FIELDS = [
    "is_superuser",
    "is_staff",
    "groups",
    "user_permissions",
    "role",
    "organisation",
    "is_active",
    "is_organisation_admin",
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def model_fields(model: type[Any]) -> set[str]:
    """Every field of the model itself (not the reverse relations of other models)."""
    return {f.name for f in model._meta.get_fields() if not f.auto_created or f.concrete}


def form_data(form: BaseForm) -> dict[str, Any]:
    """What a browser would post back for an unchanged admin form."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value) or ()):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple) or hasattr(value, "all"):
            items = value.all() if hasattr(value, "all") else value
            data[name] = [getattr(item, "pk", item) for item in items]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


def post_change(client: Client, url: str, overrides: dict[str, Any]) -> Any:
    """Open the change form and post it back with ``overrides`` (a value of None drops the
    field, as an unticked box); fields the form does not show are posted all the same."""
    page = client.get(url)
    data = form_data(page.context["adminform"].form) if page.status_code == 200 else {}
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data)


def person_state(person: Person) -> dict[str, Any]:
    person.refresh_from_db()
    return {
        **{f: getattr(person, f) for f in model_fields(Person) - {"groups", "user_permissions"}},
        "groups": sorted(person.groups.values_list("name", flat=True)),
        "user_permissions": sorted(person.user_permissions.values_list("codename", flat=True)),
    }


def organisation_state(organisation: Organisation) -> dict[str, Any]:
    organisation.refresh_from_db()
    return {f: getattr(organisation, f) for f in model_fields(Organisation)}


@pytest.fixture
def centre(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="示范市公共资源交易中心")


@pytest.fixture
def centre_staff(centre: Organisation) -> Person:
    person = PersonFactory.create(
        username="clerk", organisation=centre, role=Role.STAFF, is_staff=True
    )
    person.groups.add(Group.objects.get(name=services.CENTRE_STAFF_GROUP))
    return person


@pytest.fixture
def superuser(db: None) -> Person:
    return PersonFactory.create(
        username="root", organisation=None, role="", is_staff=True, is_superuser=True
    )


@pytest.fixture
def bidder_person(owner: Person) -> Person:
    return PersonFactory.create(username="clerk-of-bidder", organisation=owner.organisation)


def logged_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def person_url(person: Person) -> str:
    return f"/admin/accounts/person/{person.pk}/change/"


def organisation_url(organisation: Organisation) -> str:
    return f"/admin/accounts/organisation/{organisation.pk}/change/"


def escalation(field: str, *, target: Person, other_organisation: Organisation) -> Any:
    """A posted value that would change ``field`` of ``target`` (None: untick the box)."""
    if field in ("is_superuser", "is_staff", "is_organisation_admin"):
        return None if getattr(target, field) else "on"
    if field == "is_active":
        return None
    if field == "groups":
        return [Group.objects.get_or_create(name="regulators")[0].pk]
    if field == "user_permissions":
        return [Permission.objects.get(codename="delete_person").pk]
    if field == "role":
        return Role.REGULATOR
    if field == "organisation":
        return other_organisation.pk
    raise AssertionError(field)


@pytest.mark.parametrize("field", PROTECTED_PERSON_FIELDS)
@pytest.mark.parametrize("whom", ["themselves", "a bidder's person", "another centre person"])
def test_centre_staff_cannot_change_a_protected_field_of_anyone_in_admin(
    field: str,
    whom: str,
    centre_staff: Person,
    bidder_person: Person,
    centre: Organisation,
    other_party: Person,
) -> None:
    target = {
        "themselves": centre_staff,
        "a bidder's person": bidder_person,
        "another centre person": PersonFactory.create(organisation=centre, role=Role.STAFF),
    }[whom]
    services.token_issue(person=target)
    assert other_party.organisation is not None
    client = logged_in(centre_staff)  # before reading the state: logging in sets last_login
    before = person_state(target)
    response = post_change(
        client,
        person_url(target),
        {
            field: escalation(field, target=target, other_organisation=other_party.organisation),
            "display_name": "改过的名字",  # an allowed change rides along: the form was valid
        },
    )
    assert response.status_code == 302, response.content[:2000]
    after = person_state(target)
    assert after["display_name"] == "改过的名字"
    assert {k: v for k, v in after.items() if k != "display_name"} == {
        k: v for k, v in before.items() if k != "display_name"
    }
    assert AuthToken.objects.filter(user=target).count() == 1


def test_centre_staff_cannot_touch_the_superuser(centre_staff: Person, superuser: Person) -> None:
    client = logged_in(centre_staff)
    before = person_state(superuser)
    response = post_change(client, person_url(superuser), {"email": "mine@example.com"})
    assert response.status_code == 403
    assert person_state(superuser) == before


def test_centre_staff_cannot_set_passwords_or_add_people_in_admin(
    centre_staff: Person, bidder_person: Person
) -> None:
    client = logged_in(centre_staff)
    password = "a new password 4 me"
    before = person_state(bidder_person)["password"]
    response = client.post(
        f"/admin/accounts/person/{bidder_person.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 403
    assert person_state(bidder_person)["password"] == before
    count = Person.objects.count()
    response = client.post(
        "/admin/accounts/person/add/",
        {"username": "intruder", "password1": password, "password2": password},
    )
    assert response.status_code == 403
    assert Person.objects.count() == count


@pytest.mark.parametrize("field", ["kind", "is_active", "credit_code"])
def test_centre_staff_cannot_change_an_organisations_kind_state_or_code(
    field: str, centre_staff: Person, owner: Person
) -> None:
    organisation = owner.organisation
    assert organisation is not None
    before = organisation_state(organisation)
    value = {"kind": OrganisationKind.REGULATOR, "is_active": None, "credit_code": "X"}[field]
    response = post_change(
        logged_in(centre_staff),
        organisation_url(organisation),
        {field: value, "address": "示范市新区1号"},
    )
    assert response.status_code == 302, response.content[:2000]
    after = organisation_state(organisation)
    assert after.pop("address") == "示范市新区1号"
    before.pop("address")
    assert after == before


# --- every field, from the table ----------------------------------------------------------


def test_every_field_of_person_and_organisation_has_a_decision() -> None:
    assert set(CENTRE_STAFF_MAY_CHANGE_PERSON) == model_fields(Person)
    assert set(CENTRE_STAFF_MAY_CHANGE_ORGANISATION) == model_fields(Organisation)


def new_value(name: str, current: Any, *, other: Organisation) -> Any:
    """A posted value different from ``current`` for a field of Person or Organisation."""
    if name in ("groups", "user_permissions", "role", "organisation"):
        return escalation(name, target=Person(), other_organisation=other)
    if name == "kind":
        return OrganisationKind.REGULATOR
    if name == "email":
        return "changed@example.com"
    if name == "credit_code":
        return other.credit_code[:-1] + "0"
    if isinstance(current, bool):
        return None if current else "on"
    if isinstance(current, dt.datetime) or name in ("last_login", "date_joined", "created_at"):
        return "2020-01-02 03:04:05"
    if name == "id":
        return 999999
    return "changed-" + name.replace("_", "-")[:20]


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


@pytest.mark.parametrize("field", sorted(CENTRE_STAFF_MAY_CHANGE_PERSON))
def test_centre_staff_change_a_persons_field_only_where_the_table_says(
    field: str, centre_staff: Person, bidder_person: Person, other_party: Person
) -> None:
    assert other_party.organisation is not None
    before = person_state(bidder_person)
    value = new_value(field, before[field], other=other_party.organisation)
    overrides = {field: value}
    if field in ("last_login", "date_joined"):
        day, time = str(value).split(" ")
        overrides = {f"{field}_0": day, f"{field}_1": time, field: value}
    post_change(logged_in(centre_staff), person_url(bidder_person), overrides)
    changed = changed_fields(before, person_state(bidder_person))
    assert changed == ({field} if CENTRE_STAFF_MAY_CHANGE_PERSON[field] else set())
    if changed:
        entry = LedgerEntry.objects.filter(action="accounts.person.updated").get()
        assert entry.data["before"] == {field: before[field]}
        assert entry.data["after"] == {field: value}
        assert entry.actor_person_id == centre_staff.pk


@pytest.mark.parametrize("field", sorted(CENTRE_STAFF_MAY_CHANGE_ORGANISATION))
def test_centre_staff_change_an_organisations_field_only_where_the_table_says(
    field: str, centre_staff: Person, owner: Person, other_party: Person
) -> None:
    organisation, other = owner.organisation, other_party.organisation
    assert organisation is not None and other is not None
    before = organisation_state(organisation)
    value = new_value(field, before[field], other=other)
    overrides = {field: value}
    if field == "created_at":
        day, time = str(value).split(" ")
        overrides = {f"{field}_0": day, f"{field}_1": time}
    post_change(logged_in(centre_staff), organisation_url(organisation), overrides)
    changed = changed_fields(before, organisation_state(organisation))
    assert changed == ({field} if CENTRE_STAFF_MAY_CHANGE_ORGANISATION[field] else set())
    if changed:
        entry = LedgerEntry.objects.filter(action="accounts.organisation.updated").get()
        assert entry.data == {"before": {field: before[field]}, "after": {field: value}}


# --- the superuser, through the services ---------------------------------------------------


def test_a_deactivation_in_admin_goes_through_the_service(
    superuser: Person, bidder_person: Person
) -> None:
    services.token_issue(person=bidder_person)
    response = post_change(logged_in(superuser), person_url(bidder_person), {"is_active": None})
    assert response.status_code == 302, response.content[:2000]
    bidder_person.refresh_from_db()
    assert not bidder_person.is_active
    assert not AuthToken.objects.filter(user=bidder_person).exists()
    entry = LedgerEntry.objects.get(action="accounts.person.deactivated")
    assert entry.target_id == str(bidder_person.pk)
    assert entry.actor_person_id == superuser.pk
    assert entry.data["before"] == {"is_active": True}
    assert entry.data["after"] == {"is_active": False}


def test_the_superuser_cannot_give_a_role_that_does_not_fit_the_organisation_kind(
    superuser: Person, bidder_person: Person
) -> None:
    before = person_state(bidder_person)
    client = logged_in(superuser)
    response = post_change(client, person_url(bidder_person), {"role": Role.REGULATOR})
    assert person_state(bidder_person) == before
    shown = client.get(response.url).content.decode() if response.status_code == 302 else ""
    shown += response.content.decode()
    assert "不适用" in shown and "does not fit" in shown
    assert not LedgerEntry.objects.filter(action="accounts.person.assigned").exists()


def test_the_superuser_moves_a_person_and_changes_a_role_through_the_service(
    superuser: Person, bidder_person: Person, centre: Organisation
) -> None:
    response = post_change(
        logged_in(superuser),
        person_url(bidder_person),
        {"organisation": centre.pk, "role": Role.STAFF},
    )
    assert response.status_code == 302, response.content[:2000]
    bidder_person.refresh_from_db()
    assert bidder_person.organisation == centre and bidder_person.role == Role.STAFF
    # A person who becomes centre staff gets the staff's admin access, as at registration.
    assert bidder_person.is_staff
    assert bidder_person.groups.filter(name=services.CENTRE_STAFF_GROUP).exists()
    entry = LedgerEntry.objects.get(action="accounts.person.assigned")
    assert entry.data["before"]["role"] == Role.BIDDER
    assert entry.data["after"] == {"organisation": centre.credit_code, "role": Role.STAFF}


def test_the_superuser_cannot_change_a_kind_its_people_do_not_fit(
    superuser: Person, bidder_person: Person
) -> None:
    organisation = bidder_person.organisation
    assert organisation is not None
    before = organisation_state(organisation)
    client = logged_in(superuser)
    response = post_change(client, organisation_url(organisation), {"kind": "regulator"})
    assert organisation_state(organisation) == before
    shown = client.get(response.url).content.decode() if response.status_code == 302 else ""
    assert "does not fit" in shown


def test_the_superuser_grants_privileges_through_the_service(
    superuser: Person, bidder_person: Person
) -> None:
    response = post_change(logged_in(superuser), person_url(bidder_person), {"is_staff": "on"})
    assert response.status_code == 302, response.content[:2000]
    bidder_person.refresh_from_db()
    assert bidder_person.is_staff
    entry = LedgerEntry.objects.get(action="accounts.person.privileges_changed")
    assert entry.data == {"before": {"is_staff": False}, "after": {"is_staff": True}}


def test_the_superuser_sets_a_password_through_the_service(
    superuser: Person, bidder_person: Person
) -> None:
    services.token_issue(person=bidder_person)
    password = "a new password 4 me"
    response = logged_in(superuser).post(
        f"/admin/accounts/person/{bidder_person.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    bidder_person.refresh_from_db()
    assert bidder_person.check_password(password)
    assert not AuthToken.objects.filter(user=bidder_person).exists()
    entry = LedgerEntry.objects.get(action="accounts.person.password_set")
    assert password not in str(entry.data)


def test_nobody_adds_or_deletes_people_or_organisations_in_admin(
    superuser: Person, bidder_person: Person
) -> None:
    client = logged_in(superuser)
    assert client.get("/admin/accounts/person/add/").status_code == 403
    assert client.get("/admin/accounts/organisation/add/").status_code == 403
    client.post(f"/admin/accounts/person/{bidder_person.pk}/delete/", {"post": "yes"})
    assert Person.objects.filter(pk=bidder_person.pk).exists()


# --- the services guard themselves, whoever calls them --------------------------------------


def test_only_the_superuser_may_call_the_services_that_grant_or_move(
    centre_staff: Person, bidder_person: Person, centre: Organisation
) -> None:
    from ggzy.errors import DomainError

    before = person_state(bidder_person)
    calls = [
        lambda: services.person_assign(
            person=bidder_person, actor=centre_staff, organisation=centre, role=Role.STAFF
        ),
        lambda: services.person_set_privileges(
            person=bidder_person, actor=centre_staff, is_superuser=True
        ),
        lambda: services.person_set_password(
            person=bidder_person, actor=centre_staff, password="a new password 4 me"
        ),
        lambda: services.person_update(
            person=bidder_person, actor=centre_staff, changes={"username": "someone-else"}
        ),
    ]
    for call in calls:
        with pytest.raises(DomainError) as refused:
            call()
        assert " / " in refused.value.message
    organisation = bidder_person.organisation
    assert organisation is not None
    with pytest.raises(DomainError):
        services.organisation_set_kind(
            organisation=organisation, actor=centre_staff, kind=OrganisationKind.REGULATOR
        )
    assert person_state(bidder_person) == before
    assert organisation_state(organisation)["kind"] == OrganisationKind.BIDDER


def test_the_superuser_cannot_take_away_their_own_superuser_status(superuser: Person) -> None:
    from ggzy.errors import DomainError

    with pytest.raises(DomainError):
        services.person_set_privileges(person=superuser, actor=superuser, is_superuser=False)
    superuser.refresh_from_db()
    assert superuser.is_superuser
