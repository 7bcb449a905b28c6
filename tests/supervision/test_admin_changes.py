import pytest
from django.test import Client

from accounts.models import Organisation, Person
from supervision.models import LedgerEntry
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_change_made_in_django_admin_is_ledgered(owner: Person) -> None:
    admin = PersonFactory.create(
        username="root", organisation=None, role="", is_staff=True, is_superuser=True
    )
    organisation = owner.organisation
    assert organisation is not None
    client = Client(REMOTE_ADDR="192.0.2.44")
    client.force_login(admin)
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"name": "江南建工集团股份有限公司", "kind": "bidder", "is_active": "on"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:500]
    assert Organisation.objects.get(pk=organisation.pk).name == "江南建工集团股份有限公司"
    entry = LedgerEntry.objects.get(action="admin.object.changed")
    assert entry.target_type == "accounts.organisation"
    assert entry.target_id == str(organisation.pk)
    assert entry.actor_person_id == admin.pk and entry.network_address == "192.0.2.44"


def test_the_ledger_cannot_be_edited_in_admin(owner: Person) -> None:
    from supervision import ledger

    entry = ledger.append("tests.thing.happened")
    admin = PersonFactory.create(
        username="root", organisation=None, role="", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(admin)
    client.post(f"/admin/supervision/ledgerentry/{entry.pk}/delete/", {"post": "yes"})
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert client.get("/admin/supervision/ledgerentry/add/").status_code == 403
