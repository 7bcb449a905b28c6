import subprocess
from pathlib import Path

import pytest
from knox.models import AuthToken

from accounts import services
from accounts.credit_code import with_check_character
from accounts.models import (
    KeyStatus,
    Organisation,
    OrganisationKey,
    OrganisationKind,
    Person,
    Role,
)
from ggzy.errors import DomainError
from ggzy_core.gm import sm2
from supervision.models import LedgerEntry
from tests.factories import TEST_PASSWORD, OrganisationFactory, PersonFactory
from tests.tools import nothing_changes

pytestmark = pytest.mark.django_db


def register(**overrides: object) -> Person:
    fields: dict[str, object] = {
        "name": "长江路桥工程有限公司",
        "credit_code": with_check_character("91320100MA1Y00022"),
        "kind": OrganisationKind.BIDDER,
        "legal_representative": "李二",
        "legal_representative_id_number": "32010019800101123x",
        "admin_username": "lier",
        "admin_password": TEST_PASSWORD,
    }
    fields.update(overrides)
    return services.organisation_register(**fields)  # type: ignore[arg-type]


def test_registering_creates_the_organisation_and_its_manager() -> None:
    person = register()
    assert person.organisation is not None
    assert person.organisation.credit_code == with_check_character("91320100MA1Y00022")
    assert person.role == Role.BIDDER and person.is_organisation_admin
    assert person.check_password(TEST_PASSWORD)
    entry = LedgerEntry.objects.get(action="accounts.organisation.registered")
    assert entry.target_id == str(person.organisation.pk)
    assert TEST_PASSWORD not in str(entry.data)


def test_only_a_digest_of_the_representatives_id_number_is_kept() -> None:
    organisation = register().organisation
    assert organisation is not None
    assert "320100" not in organisation.legal_representative_id_digest
    assert organisation.legal_representative_id_digest == services.identity_digest(
        "32010019800101123X"
    )


def test_it_refuses_an_invalid_credit_code_saying_why() -> None:
    valid = with_check_character("91320100MA1Y00022")
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        register(credit_code=valid[:17] + ("0" if valid[17] != "0" else "1"))
    assert caught.value.field == "credit_code"
    assert "校验码" in caught.value.message and "Check character" in caught.value.message


def test_it_refuses_a_credit_code_registered_twice() -> None:
    register()
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        register(admin_username="someone-else")
    assert caught.value.code == "duplicate"


def test_it_refuses_a_weak_password() -> None:
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        register(admin_password="12345678")
    assert caught.value.field == "admin_password"


def test_anyone_may_register_a_bidder_but_not_a_regulator() -> None:
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        register(kind=OrganisationKind.REGULATOR)
    assert caught.value.code == "forbidden"


def test_staff_may_set_up_a_regulator(staff: Person) -> None:
    person = register(kind=OrganisationKind.REGULATOR, actor=staff)
    assert person.role == Role.REGULATOR


def test_an_added_person_gets_the_role_of_the_organisation(owner: Person) -> None:
    assert owner.organisation is not None
    added = services.person_add(
        organisation=owner.organisation, actor=owner, username="clerk", password=TEST_PASSWORD
    )
    assert added.role == Role.BIDDER and not added.is_organisation_admin
    assert LedgerEntry.objects.filter(action="accounts.person.added").count() == 1


def test_binding_a_key_records_its_sm3_fingerprint(owner: Person) -> None:
    assert owner.organisation is not None
    public = sm2.generate_private_key().public_key()
    key = services.key_bind(organisation=owner.organisation, actor=owner, key_data=public.to_pem())
    assert key.fingerprint == public.fingerprint()
    assert key.status == KeyStatus.ACTIVE
    entry = LedgerEntry.objects.get(action="accounts.key.bound")
    assert entry.data["fingerprint"] == public.fingerprint()


def test_a_new_key_retires_the_old_one_which_is_kept(owner: Person) -> None:
    assert owner.organisation is not None
    first = services.key_bind(
        organisation=owner.organisation,
        actor=owner,
        key_data=sm2.generate_private_key().public_key().to_pem(),
    )
    second = services.key_bind(
        organisation=owner.organisation,
        actor=owner,
        key_data=sm2.generate_private_key().public_key().to_pem(),
    )
    first.refresh_from_db()
    assert first.status == KeyStatus.RETIRED and first.retired_by == owner
    assert services.active_key(owner.organisation) == second
    assert owner.organisation.keys.count() == 2
    with pytest.raises(PermissionError):
        first.delete()


def test_a_key_bound_before_cannot_be_bound_again(owner: Person, other_party: Person) -> None:
    assert owner.organisation is not None and other_party.organisation is not None
    pem = sm2.generate_private_key().public_key().to_pem()
    services.key_bind(organisation=owner.organisation, actor=owner, key_data=pem)
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        services.key_bind(organisation=other_party.organisation, actor=other_party, key_data=pem)
    assert caught.value.code == "duplicate"


def test_a_non_sm2_key_is_refused_with_the_reason(owner: Person) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p256 = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert owner.organisation is not None
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as caught,
    ):
        services.key_bind(organisation=owner.organisation, actor=owner, key_data=p256)
    assert caught.value.code == "invalid_key"
    assert "SM2" in caught.value.message
    assert not owner.organisation.keys.exists()


def test_a_deactivated_person_loses_their_tokens(owner: Person) -> None:
    assert owner.organisation is not None
    clerk = PersonFactory.create(organisation=owner.organisation)
    services.token_issue(person=clerk)
    services.person_deactivate(person=clerk, actor=owner)
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not AuthToken.objects.filter(user=clerk).exists()


def test_nobody_deactivates_themselves(owner: Person) -> None:
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError),
    ):
        services.person_deactivate(person=owner, actor=owner)


def test_a_token_is_ledgered_without_the_token(owner: Person) -> None:
    token, raw = services.token_issue(person=owner)
    entries = LedgerEntry.objects.filter(action="accounts.token.issued")
    assert entries.count() == 1
    entry = entries.get()
    assert raw not in str(entry.data) and raw[:15] not in entry.target_id
    assert entry.target_id == services.token_handle(token)
    services.token_revoke(person=owner, handle=entry.target_id)
    assert not AuthToken.objects.filter(user=owner).exists()


def test_revoking_someone_elses_token_is_refused(owner: Person, other_party: Person) -> None:
    token, _raw = services.token_issue(person=other_party)
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError),
    ):
        services.token_revoke(person=owner, handle=services.token_handle(token))
    assert AuthToken.objects.filter(user=other_party).count() == 1


def test_updating_an_organisation_records_before_and_after(owner: Person) -> None:
    organisation = owner.organisation
    assert organisation is not None
    services.organisation_update(
        organisation=organisation, actor=owner, changes={"address": "南京市建邺区1号"}
    )
    entry = LedgerEntry.objects.get(action="accounts.organisation.updated")
    assert entry.data["after"] == {"address": "南京市建邺区1号"}
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError),
    ):
        services.organisation_update(
            organisation=organisation, actor=owner, changes={"credit_code": "X"}
        )


def test_an_organisation_has_the_credit_code_validator() -> None:
    from django.core.exceptions import ValidationError

    valid = with_check_character("91320100MA1Y00022")
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    organisation = OrganisationFactory.build(credit_code=wrong)
    with pytest.raises(ValidationError):
        organisation.full_clean()


def test_centre_staff_may_administer_accounts_but_not_rewrite_keys_or_the_ledger(
    staff: Person,
) -> None:
    centre = services.organisation_register(
        name="示范市公共资源交易中心",
        credit_code=with_check_character("12320100MB0000001"),
        kind=OrganisationKind.CENTRE,
        legal_representative="周中心",
        admin_username="centre-admin",
        admin_password=TEST_PASSWORD,
        actor=staff,
    )
    centre = Person.objects.get(pk=centre.pk)
    assert centre.is_staff
    assert centre.has_perm("accounts.change_organisation")
    assert centre.has_perm("supervision.view_ledgerentry")
    assert not centre.has_perm("accounts.change_organisationkey")
    assert not centre.has_perm("supervision.change_ledgerentry")
    assert not centre.has_perm("supervision.delete_ledgerentry")


def test_a_bidder_gets_no_admin_access() -> None:
    assert not register().is_staff


@pytest.mark.openssl
def test_a_key_is_bound_from_an_x509_certificate_made_by_openssl(
    owner: Person, tmp_path: Path
) -> None:
    key = tmp_path / "sm2.pem"
    cert = tmp_path / "cert.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-new",
            "-key",
            str(key),
            "-sm3",
            "-days",
            "30",
            "-subj",
            "/CN=ggzy-test/O=JiangNan",
            "-out",
            str(cert),
            "-sigopt",
            "distid:1234567812345678",
        ],
        check=True,
        capture_output=True,
    )
    assert owner.organisation is not None
    bound = services.key_bind(
        organisation=owner.organisation, actor=owner, key_data=cert.read_bytes()
    )
    expected = sm2.load_private_key(key.read_bytes()).public_key().fingerprint()
    assert bound.fingerprint == expected
    assert "BEGIN CERTIFICATE" in bound.certificate_pem


def test_a_key_file_larger_than_any_key_or_certificate_is_refused_before_parsing(
    owner: Person,
) -> None:
    from accounts.services import MAX_KEY_FILE_BYTES

    assert owner.organisation is not None
    with (
        nothing_changes(Organisation, Person, OrganisationKey, AuthToken),
        pytest.raises(DomainError) as refused,
    ):
        services.key_bind(
            organisation=owner.organisation, actor=owner, key_data=b"x" * (MAX_KEY_FILE_BYTES + 1)
        )
    assert refused.value.code == "too_long" and " / " in refused.value.message
    assert not OrganisationKey.objects.filter(organisation=owner.organisation).exists()
