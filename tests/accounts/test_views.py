import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from accounts.credit_code import with_check_character
from accounts.models import KeyStatus, Person
from ggzy_core.gm import sm2
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_a_company_registers_itself_and_lands_on_its_keys_page(client: Client) -> None:
    response = client.post(
        reverse("accounts:register"),
        {
            "name": "金陵市政建设有限公司",
            "credit_code": with_check_character("91320100MA1Y00033"),
            "kind": "bidder",
            "legal_representative": "张三",
            "admin_username": "zhangsan",
            "admin_password": TEST_PASSWORD,
        },
    )
    person = Person.objects.get(username="zhangsan")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:keys", args=[person.organisation_id])


def test_registration_shows_why_a_credit_code_is_refused(client: Client) -> None:
    response = client.post(
        reverse("accounts:register"),
        {
            "name": "X",
            "credit_code": "91320100MA1Y00033I",
            "kind": "bidder",
            "legal_representative": "张三",
            "admin_username": "zhangsan",
            "admin_password": TEST_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "第18位字符“I”不允许" in response.content.decode()
    assert not Person.objects.filter(username="zhangsan").exists()


def test_the_dashboard_needs_a_login(client: Client) -> None:
    response = client.get(reverse("accounts:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_owner_binds_a_key_by_pasting_pem(owner: Person) -> None:
    public = sm2.generate_private_key().public_key()
    response = client_for(owner).post(
        reverse("accounts:keys", args=[owner.organisation_id]),
        {"key_text": public.to_pem().decode()},
    )
    assert response.status_code == 302
    assert owner.organisation is not None
    assert owner.organisation.keys.get().fingerprint == public.fingerprint()


def test_binding_a_new_key_says_what_it_does_to_bids_already_sealed(owner: Person) -> None:
    client = client_for(owner)
    keys_page = reverse("accounts:keys", args=[owner.organisation_id])
    before = client.get(keys_page).content.decode()
    assert "绑定新密钥会立即停用当前密钥" in before  # said before the click, not only after
    for _ in range(2):
        public = sm2.generate_private_key().public_key()
        response = client.post(keys_page, {"key_text": public.to_pem().decode()}, follow=True)
    page = response.content.decode()
    assert f"密钥已绑定：{public.fingerprint()}。原密钥已停用：已送达的投标仍然有效" in page
    assert "须用新密钥重新封装" in page
    assert owner.organisation is not None
    assert owner.organisation.keys.filter(status=KeyStatus.ACTIVE).get().fingerprint == (
        public.fingerprint()
    )


def test_a_bad_key_file_is_refused_with_a_reason(owner: Person) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(owner).post(
        reverse("accounts:keys", args=[owner.organisation_id]),
        {"key_file": SimpleUploadedFile("key.pem", b"not a key at all")},
    )
    assert response.status_code == 200
    assert "公钥无效" in response.content.decode()


def test_another_company_cannot_bind_a_key_for_the_owner(
    owner: Person, other_party: Person
) -> None:
    public = sm2.generate_private_key().public_key()
    response = client_for(other_party).post(
        reverse("accounts:keys", args=[owner.organisation_id]),
        {"key_text": public.to_pem().decode()},
    )
    assert response.status_code == 404
    assert owner.organisation is not None and not owner.organisation.keys.exists()


def test_the_owner_retires_a_key(owner: Person) -> None:
    from accounts import services

    assert owner.organisation is not None
    key = services.key_bind(
        organisation=owner.organisation,
        actor=owner,
        key_data=sm2.generate_private_key().public_key().to_pem(),
    )
    client_for(owner).post(reverse("accounts:key_retire", args=[key.pk]))
    key.refresh_from_db()
    assert key.status == KeyStatus.RETIRED


def test_the_owner_adds_a_person(owner: Person) -> None:
    response = client_for(owner).post(
        reverse("accounts:people", args=[owner.organisation_id]),
        {"username": "clerk", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert Person.objects.get(username="clerk").organisation_id == owner.organisation_id


def test_a_token_is_shown_once_then_only_its_handle(owner: Person) -> None:
    client = client_for(owner)
    issued = client.post(reverse("accounts:tokens"), {"issue": "1"}).content.decode()
    assert 'id="issued-token"' in issued
    listed = client.get(reverse("accounts:tokens")).content.decode()
    assert 'id="issued-token"' not in listed
    assert AuthToken.objects.filter(user=owner).count() == 1


def test_logging_in_and_out_is_ledgered_with_the_address(owner: Person) -> None:
    client = Client(REMOTE_ADDR="198.51.100.23")
    client.post(reverse("accounts:login"), {"username": "owner", "password": TEST_PASSWORD})
    client.post(reverse("accounts:logout"))
    login = LedgerEntry.objects.get(action="accounts.login.succeeded")
    assert login.network_address == "198.51.100.23" and login.actor_person_id == owner.pk
    assert LedgerEntry.objects.filter(action="accounts.logout").exists()


def test_login_is_locked_after_repeated_failures(owner: Person) -> None:
    client = Client(REMOTE_ADDR="198.51.100.24")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "owner", "password": "wrong"})
    locked = client.post(
        reverse("accounts:login"), {"username": "owner", "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode() and "locked" in locked.content.decode()
    failures = LedgerEntry.objects.filter(action="accounts.login.failed")
    assert failures.count() >= 5
    assert all(entry.data == {"username": "owner"} for entry in failures)
    assert not LedgerEntry.objects.filter(action="accounts.login.succeeded").exists()


def test_forms_are_protected_against_csrf(owner: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("accounts:tokens"), {"issue": "1"})
    assert response.status_code == 403
    assert not AuthToken.objects.filter(user=owner).exists()


def test_the_owner_edits_the_organisation_and_the_ledger_keeps_both_values(
    owner: Person,
) -> None:
    organisation = owner.organisation
    assert organisation is not None
    old_name = organisation.name
    response = client_for(owner).post(
        reverse("accounts:organisation_edit", args=[organisation.pk]),
        {
            "name": "江南建工集团股份有限公司",
            "legal_representative": organisation.legal_representative,
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "江南建工集团股份有限公司"
    entry = LedgerEntry.objects.get(action="accounts.organisation.updated")
    assert entry.data["before"]["name"] == old_name
    assert entry.data["after"]["name"] == "江南建工集团股份有限公司"


def test_a_plain_member_cannot_edit_the_organisation_and_nothing_changes(owner: Person) -> None:
    from tests.factories import PersonFactory

    organisation = owner.organisation
    assert organisation is not None
    member = PersonFactory.create(organisation=organisation)
    response = client_for(member).post(
        reverse("accounts:organisation_edit", args=[organisation.pk]),
        {"name": "X", "legal_representative": organisation.legal_representative},
    )
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name == "江南建工集团有限公司"
    assert not LedgerEntry.objects.filter(action="accounts.organisation.updated").exists()
