"""Account services: every change is atomic, locked where it reads-then-writes, and ledgered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
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
from ggzy_core.gm import sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger

EDITABLE_ORGANISATION_FIELDS = ("name", "legal_representative", "address", "contact_phone")
# What centre staff may change about a person (in admin): name and contact details. What a
# person may do is the superuser's: person_assign, person_set_privileges, person_activate.
EDITABLE_PERSON_FIELDS = ("first_name", "last_name", "email", "display_name", "phone")
# Roles of people who act for no organisation: experts, and the superuser (no role).
NO_ORG_ROLES = frozenset({Role.EXPERT, ""})
CENTRE_STAFF_GROUP = "centre-staff"  # created by migration accounts 0002
MAX_KEY_FILE_BYTES = 64 * 1024  # a key or certificate is a few KB; a chain a few more


def _validation_error(exc: ValidationError, field: str) -> DomainError:
    return DomainError(" ".join(exc.messages), code="invalid", field=field)


def _revoke_role_access(person: Person) -> None:
    """A person who stops being centre staff loses the staff's admin access (a superuser
    keeps theirs)."""
    person.groups.remove(Group.objects.get(name=CENTRE_STAFF_GROUP))
    if not person.is_superuser:
        person.is_staff = False
        person.save(update_fields=["is_staff"])


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
def organisation_set_kind(*, organisation: Organisation, actor: Person, kind: str) -> Organisation:
    """Change what an organisation is: the superuser only, and only to a kind every one of
    its people's roles fits."""
    _require_superuser(actor, "更改机构类型 / change an organisation's kind")
    if kind not in ROLES_BY_KIND:
        raise DomainError(
            f"未知的机构类型 / Unknown organisation kind: {kind}", code="invalid", field="kind"
        )
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = locked.kind
    locked.kind = kind
    for person in Person.objects.select_for_update().filter(organisation=locked):
        check_role_fits(organisation=locked, role=person.role)
    locked.save(update_fields=["kind"])
    ledger.append(
        "accounts.organisation.kind_changed",
        actor=actor,
        target=locked,
        data={"before": {"kind": before}, "after": {"kind": kind}},
    )
    return locked


@transaction.atomic
def organisation_set_active(
    *, organisation: Organisation, actor: Person, active: bool
) -> Organisation:
    _require_superuser(actor, "停用或启用机构 / deactivate or reactivate an organisation")
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.is_active == active:
        return locked
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    ledger.append(
        "accounts.organisation.activated" if active else "accounts.organisation.deactivated",
        actor=actor,
        target=locked,
        data={"before": {"is_active": not active}, "after": {"is_active": active}},
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
    _refuse_touching_a_superuser(locked, actor)
    if not locked.is_active:
        raise DomainError("此人已停用 / This person is already deactivated", code="conflict")
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    # A deactivated person's API tokens go with it: ggzy-bid must not keep acting for them.
    tokens, _ = AuthToken.objects.filter(user=locked).delete()
    ledger.append(
        "accounts.person.deactivated",
        actor=actor,
        target=locked,
        data={"before": {"is_active": True}, "after": {"is_active": False}, "tokens": tokens},
    )
    return locked


@transaction.atomic
def person_activate(*, person: Person, actor: Person) -> Person:
    """Let a deactivated person log in again (the superuser's decision; tokens stay gone)."""
    _require_superuser(actor, "重新启用人员 / reactivate a person")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.is_active:
        raise DomainError("此人未被停用 / This person is active already", code="conflict")
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    ledger.append(
        "accounts.person.activated",
        actor=actor,
        target=locked,
        data={"before": {"is_active": False}, "after": {"is_active": True}},
    )
    return locked


@transaction.atomic
def person_update(*, person: Person, actor: Person, changes: dict[str, Any]) -> Person:
    """Change a person's name and contact details (and, for the superuser, the username)."""
    allowed = EDITABLE_PERSON_FIELDS + (("username",) if actor.is_superuser else ())
    unknown = set(changes) - set(allowed)
    if unknown:
        raise DomainError(
            f"这些字段不可修改 / These fields cannot be changed: {', '.join(sorted(unknown))}",
            code="invalid",
        )
    locked = Person.objects.select_for_update().get(pk=person.pk)
    _refuse_touching_a_superuser(locked, actor)
    before = {field: getattr(locked, field) for field in changes}
    for field, value in changes.items():
        setattr(locked, field, value)
    others = [f.name for f in Person._meta.concrete_fields if f.name not in changes]
    try:
        locked.full_clean(exclude=others)
    except ValidationError as exc:
        raise _validation_error(exc, next(iter(changes))) from exc
    locked.save(update_fields=list(changes))
    ledger.append(
        "accounts.person.updated",
        actor=actor,
        target=locked,
        data={"before": before, "after": changes},
    )
    return locked


def check_role_fits(*, organisation: Organisation | None, role: str) -> None:
    """The role-by-organisation-kind rule: a bidder company's people are bidders, a centre's
    are staff, a regulator's are regulators; experts (and the superuser) act for no
    organisation."""
    allowed = ROLES_BY_KIND.get(organisation.kind, frozenset()) if organisation else NO_ORG_ROLES
    if role in allowed:
        return
    kind = organisation.get_kind_display() if organisation else "无 / none"
    fits = ", ".join(sorted(r or "—" for r in allowed))
    raise DomainError(
        f"角色 {role or '—'} 不适用于该机构（类型：{kind}），可用角色：{fits}；请改选角色或先把此人"
        f"移到相应机构 / The role {role or '—'} does not fit this organisation (kind: {kind}); "
        f"roles that fit: {fits}. Choose one of them, or move the person to a fitting "
        "organisation first.",
        code="role_mismatch",
        field="role",
    )


@transaction.atomic
def person_assign(
    *, person: Person, actor: Person, organisation: Organisation | None, role: str
) -> Person:
    """Move a person to an organisation and/or give them a role: the superuser only."""
    _require_superuser(actor, "更改人员的机构或角色 / change a person's organisation or role")
    # Lock the organisation too: a concurrent change of its kind must see this person.
    target = (
        Organisation.objects.select_for_update().get(pk=organisation.pk) if organisation else None
    )
    locked = Person.objects.select_for_update().get(pk=person.pk)
    check_role_fits(organisation=target, role=role)
    before = {"organisation": _credit_code(locked.organisation), "role": locked.role}
    was_staff = locked.role == Role.STAFF
    locked.organisation, locked.role = target, role
    locked.save(update_fields=["organisation", "role"])
    if role == Role.STAFF:
        _grant_role_access(locked)
    elif was_staff:
        _revoke_role_access(locked)
    ledger.append(
        "accounts.person.assigned",
        actor=actor,
        target=locked,
        data={"before": before, "after": {"organisation": _credit_code(target), "role": role}},
    )
    return locked


@transaction.atomic
def person_set_privileges(
    *,
    person: Person,
    actor: Person,
    is_superuser: bool | None = None,
    is_staff: bool | None = None,
    is_organisation_admin: bool | None = None,
    groups: Iterable[Group] | None = None,
    user_permissions: Iterable[Permission] | None = None,
) -> Person:
    """Grant or take away admin access, permission groups and permissions: the superuser
    only. ``None`` leaves a privilege as it is."""
    _require_superuser(actor, "授予或收回权限 / grant or take away privileges")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.pk == actor.pk and is_superuser is False:
        raise DomainError(
            "不能取消自己的超级管理员身份，请由另一位超级管理员操作 / You cannot take away your "
            "own superuser status; ask another superuser",
            code="forbidden",
            field="is_superuser",
        )
    flags = {"is_superuser": is_superuser, "is_staff": is_staff}
    flags["is_organisation_admin"] = is_organisation_admin
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in flags.items():
        if value is not None and getattr(locked, field) != value:
            before[field], after[field] = getattr(locked, field), value
            setattr(locked, field, value)
    if after:
        locked.save(update_fields=list(after))
    for field, wanted, label in (
        ("groups", groups, "name"),
        ("user_permissions", user_permissions, "codename"),
    ):
        if wanted is None:
            continue
        related = getattr(locked, field)
        old, new = set(related.all()), set(wanted)
        if old != new:
            before[field] = sorted(getattr(item, label) for item in old)
            after[field] = sorted(getattr(item, label) for item in new)
            related.set(new)
    if after:
        ledger.append(
            "accounts.person.privileges_changed",
            actor=actor,
            target=locked,
            data={"before": before, "after": after},
        )
    return locked


@transaction.atomic
def person_set_password(*, person: Person, actor: Person, password: str | None) -> Person:
    """Set a person's password (``None``: password login disabled): the superuser only. Their
    sessions end (Django checks the password hash) and their API tokens are deleted."""
    _require_superuser(actor, "设置他人密码 / set a person's password")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if password is None:
        locked.set_unusable_password()
    else:
        try:
            validate_password(password, user=locked)
        except ValidationError as exc:
            raise _validation_error(exc, "password1") from exc
        locked.set_password(password)
    locked.save(update_fields=["password"])
    tokens, _ = AuthToken.objects.filter(user=locked).delete()
    ledger.append(
        "accounts.person.password_set",
        actor=actor,
        target=locked,
        data={"usable": password is not None, "tokens": tokens},
    )
    return locked


def _credit_code(organisation: Organisation | None) -> str | None:
    return organisation.credit_code if organisation else None


def _require_superuser(actor: Person, what: str) -> None:
    if not actor.is_superuser:
        raise DomainError(
            f"只有超级管理员可以{what.split(' / ')[0]}，请联系超级管理员 / Only the superuser may "
            f"{what.split(' / ')[-1]}; ask the superuser",
            code="forbidden",
        )


def _refuse_touching_a_superuser(person: Person, actor: Person) -> None:
    """Only a superuser changes a superuser: anyone else could take over the account."""
    if person.is_superuser and not actor.is_superuser:
        raise DomainError(
            "只有超级管理员可以修改超级管理员的账户 / Only a superuser may change a superuser's "
            "account",
            code="forbidden",
        )


@transaction.atomic
def key_bind(*, organisation: Organisation, actor: Person, key_data: bytes) -> OrganisationKey:
    """Bind an SM2 public key (SPKI PEM/DER or an X.509 certificate); retire the old one."""
    if len(key_data) > MAX_KEY_FILE_BYTES:  # the form and the API both end here
        raise DomainError(
            f"文件过大，不是公钥或证书（上限 {MAX_KEY_FILE_BYTES // 1024} KB），请只上传公钥PEM或证书 / "
            f"The file is too large for a key or certificate (limit {MAX_KEY_FILE_BYTES // 1024} "
            "KB): upload only the public key PEM or the certificate",
            code="too_long",
            field="key",
        )
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
