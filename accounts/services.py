"""Account services: every change is atomic, locked where it reads-then-writes, and ledgered."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from knox.models import AuthToken

from accounts.credit_code import normalise, validate_credit_code
from accounts.models import (
    ROLES_BY_KIND,
    SELF_REGISTERED_KINDS,
    KeyStatus,
    Organisation,
    OrganisationKey,
    Person,
    Role,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.gm import sm2
from ggzy.gm.errors import GMError
from ggzy.gm.sm3 import sm3_hex
from supervision import ledger

EDITABLE_ORGANISATION_FIELDS = ("name", "legal_representative", "address", "contact_phone")
CENTRE_STAFF_GROUP = "centre-staff"  # created by migration accounts 0002


def _validation_error(exc: ValidationError, field: str) -> DomainError:
    return DomainError(" ".join(exc.messages), code="invalid", field=field)


def _grant_role_access(person: Person) -> None:
    """Centre staff administer accounts in Django admin, through their permission group."""
    if person.role == Role.STAFF:
        person.is_staff = True
        person.save(update_fields=["is_staff"])
        person.groups.add(Group.objects.get(name=CENTRE_STAFF_GROUP))


def identity_digest(id_number: str) -> str:
    """SM3 of a normalised PRC ID number; compares people without storing the number."""
    cleaned = id_number.strip().upper()
    return sm3_hex(cleaned.encode()) if cleaned else ""


@transaction.atomic
def organisation_register(
    *,
    name: str,
    credit_code: str,
    kind: str,
    legal_representative: str,
    legal_representative_id_number: str = "",
    address: str = "",
    contact_phone: str = "",
    admin_username: str,
    admin_password: str,
    admin_display_name: str = "",
    admin_email: str = "",
    actor: Person | None = None,
) -> Person:
    """Register an organisation with its first person, who manages it."""
    staff_acting = actor is not None and (actor.is_superuser or actor.role == Role.STAFF)
    if kind not in ROLES_BY_KIND:
        raise DomainError(f"未知的机构类型 / Unknown organisation kind: {kind}", code="invalid")
    if kind not in SELF_REGISTERED_KINDS and not staff_acting:
        raise DomainError(
            "交易中心和监督部门由中心工作人员设立 / Centres and regulators are set up by staff",
            code="forbidden",
            field="kind",
        )
    code = normalise(credit_code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise _validation_error(exc, "credit_code") from exc
    if Organisation.objects.filter(credit_code=code).exists():
        raise DomainError(
            "该统一社会信用代码已注册 / This credit code is already registered",
            code="duplicate",
            field="credit_code",
        )
    if Person.objects.filter(username=admin_username).exists():
        raise DomainError(
            "用户名已被使用 / This username is taken", code="duplicate", field="admin_username"
        )
    person = Person(username=admin_username, display_name=admin_display_name, email=admin_email)
    try:
        validate_password(admin_password, user=person)
    except ValidationError as exc:
        raise _validation_error(exc, "admin_password") from exc
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                name=name.strip(),
                credit_code=code,
                kind=kind,
                legal_representative=legal_representative.strip(),
                legal_representative_id_digest=identity_digest(legal_representative_id_number),
                address=address,
                contact_phone=contact_phone,
                created_at=clock.now(),
            )
    except IntegrityError as exc:  # lost a race with a concurrent registration
        raise DomainError(
            "该统一社会信用代码已注册 / This credit code is already registered",
            code="duplicate",
            field="credit_code",
        ) from exc
    person.organisation = organisation
    person.role = next(iter(ROLES_BY_KIND[kind]))
    person.is_organisation_admin = True
    person.set_password(admin_password)
    person.save()
    _grant_role_access(person)
    ledger.append(
        "accounts.organisation.registered",
        actor=actor or person,
        target=organisation,
        data={
            "name": organisation.name,
            "credit_code": code,
            "kind": kind,
            "admin": person.username,
        },
    )
    return person


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: Person, changes: dict[str, Any]
) -> Organisation:
    unknown = set(changes) - set(EDITABLE_ORGANISATION_FIELDS)
    if unknown:
        raise DomainError(
            f"这些字段不可修改 / These fields cannot be changed: {', '.join(sorted(unknown))}",
            code="invalid",
        )
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {field: getattr(locked, field) for field in changes}
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save(update_fields=list(changes))
    ledger.append(
        "accounts.organisation.updated",
        actor=actor,
        target=locked,
        data={"before": before, "after": changes},
    )
    return locked


@transaction.atomic
def person_add(
    *,
    organisation: Organisation,
    actor: Person,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    is_organisation_admin: bool = False,
) -> Person:
    if Person.objects.filter(username=username).exists():
        raise DomainError(
            "用户名已被使用 / This username is taken", code="duplicate", field="username"
        )
    person = Person(
        username=username,
        display_name=display_name,
        email=email,
        phone=phone,
        organisation=organisation,
        role=next(iter(ROLES_BY_KIND[organisation.kind])),
        is_organisation_admin=is_organisation_admin,
    )
    try:
        validate_password(password, user=person)
    except ValidationError as exc:
        raise _validation_error(exc, "password") from exc
    person.set_password(password)
    person.save()
    _grant_role_access(person)
    ledger.append(
        "accounts.person.added",
        actor=actor,
        target=person,
        data={
            "username": username,
            "organisation": organisation.credit_code,
            "role": person.role,
            "manages_organisation": is_organisation_admin,
        },
    )
    return person


@transaction.atomic
def person_deactivate(*, person: Person, actor: Person) -> Person:
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.pk == actor.pk:
        raise DomainError("不能停用自己 / You cannot deactivate yourself", code="forbidden")
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    AuthToken.objects.filter(user=locked).delete()
    ledger.append("accounts.person.deactivated", actor=actor, target=locked)
    return locked


@transaction.atomic
def key_bind(*, organisation: Organisation, actor: Person, key_data: bytes) -> OrganisationKey:
    """Bind an SM2 public key (SPKI PEM/DER or an X.509 certificate); retire the old one."""
    try:
        # Only the certificate the key came from is kept, never the rest of the file.
        public_key, certificate_pem = sm2.load_public_key_with_certificate(key_data)
    except GMError as exc:
        raise DomainError(
            f"公钥无效 / The public key was refused: {exc}", code="invalid_key", field="key"
        ) from exc
    fingerprint = public_key.fingerprint()
    certificate = certificate_pem.decode("ascii") if certificate_pem is not None else ""
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    existing = OrganisationKey.objects.filter(fingerprint=fingerprint).first()
    if existing is not None:
        raise DomainError(
            "该公钥已绑定过，不能重复使用 / This key has been bound before and cannot be reused",
            code="duplicate",
            field="key",
        )
    for old in OrganisationKey.objects.filter(organisation=locked, status=KeyStatus.ACTIVE):
        _retire(old, actor=actor, reason="replaced")
    key = OrganisationKey.objects.create(
        organisation=locked,
        fingerprint=fingerprint,
        public_key_pem=public_key.to_pem().decode("ascii"),
        certificate_pem=certificate,
        bound_at=clock.now(),
        bound_by=actor,
    )
    ledger.append(
        "accounts.key.bound",
        actor=actor,
        target=key,
        data={
            "organisation": locked.credit_code,
            "fingerprint": fingerprint,
            "from_certificate": bool(certificate),
        },
    )
    return key


@transaction.atomic
def key_retire(*, key: OrganisationKey, actor: Person) -> OrganisationKey:
    locked = OrganisationKey.objects.select_for_update().get(pk=key.pk)
    if locked.status == KeyStatus.RETIRED:
        raise DomainError("该密钥已停用 / This key is already retired", code="conflict")
    _retire(locked, actor=actor, reason="retired")
    return locked


def _retire(key: OrganisationKey, *, actor: Person, reason: str) -> None:
    """Retire a key the caller has locked; it stays, so old signatures still verify."""
    key.status = KeyStatus.RETIRED
    key.retired_at = clock.now()
    key.retired_by = actor
    key.save(update_fields=["status", "retired_at", "retired_by"])
    ledger.append(
        "accounts.key.retired",
        actor=actor,
        target=key,
        data={"fingerprint": key.fingerprint, "reason": reason},
    )


def active_key(organisation: Organisation) -> OrganisationKey | None:
    return OrganisationKey.objects.filter(
        organisation=organisation, status=KeyStatus.ACTIVE
    ).first()


def token_handle(token: AuthToken) -> str:
    """A short, non-secret name for a token (its digest's SM3): what the ledger and pages show."""
    return sm3_hex(token.digest.encode())[:16]


@transaction.atomic
def token_issue(*, person: Person) -> tuple[AuthToken, str]:
    """An API token for ggzy-bid. The raw token is returned once and never stored or logged."""
    instance, raw = AuthToken.objects.create(user=person)
    ledger.append(
        "accounts.token.issued",
        actor=person,
        target=("knox.authtoken", token_handle(instance)),
        data={"expires": instance.expiry},
    )
    return instance, raw


@transaction.atomic
def token_revoke(*, person: Person, handle: str) -> None:
    for token in AuthToken.objects.select_for_update().filter(user=person):
        if token_handle(token) == handle:
            token.delete()
            ledger.append("accounts.token.revoked", actor=person, target=("knox.authtoken", handle))
            return
    raise DomainError("没有这个令牌 / No such token", code="not_found")
