"""Registering and deactivating guarantee issuers: by centre staff or operations, each
refusal naming what is wrong, every change ledgered."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Person
from deposits import guarantees
from deposits.models import Issuer, IssuerKind
from ggzy.errors import DomainError
from ggzy_core.gm import sm2
from supervision.models import LedgerEntry
from tests.factories import credit_code
from tests.tools import nothing_changes

pytestmark = pytest.mark.django_db


def pem() -> str:
    return sm2.generate_private_key().public_key().to_pem().decode()


def register(**overrides: object) -> Issuer:
    fields: dict[str, object] = {
        "name": "示范银行股份有限公司",
        "credit_code": credit_code(),
        "kind": IssuerKind.BANK,
        "public_key_pem": pem(),
        "claim_url": "https://bank.example/claims",
        "actor": None,
    }
    fields.update(overrides)
    return guarantees.issuer_register(**fields)  # type: ignore[arg-type]


def test_staff_register_an_issuer_and_the_ledger_keeps_its_key_fingerprint(staff: Person) -> None:
    key = pem()
    issuer = register(public_key_pem=key, actor=staff)
    entry = LedgerEntry.objects.get(action="deposits.issuer.registered")
    assert (
        issuer.is_active
        and issuer.key_fingerprint == sm2.load_public_key(key.encode()).fingerprint()
    )
    assert entry.data["fingerprint"] == issuer.key_fingerprint
    assert entry.actor_name == staff.username


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"credit_code": "91320100MA0000001"}, "credit_code", "18"),
        ({"credit_code": "91320100MA00000010"}, "credit_code", "18th"),
        (
            {"public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
            "public_key_pem",
            "SM2",
        ),
        ({"kind": "casino"}, "kind", "bank"),
        ({"claim_url": "ftp://bank.example/claims"}, "claim_url", "http"),
        ({"name": " "}, "name", "required"),
    ],
)
def test_a_bad_registration_is_refused_naming_what_to_fix(
    change: dict[str, object], field: str, words: str
) -> None:
    with nothing_changes(Issuer), pytest.raises(DomainError) as refused:
        register(**change)
    assert refused.value.field == field
    assert words in refused.value.message and " / " in refused.value.message


def test_an_issuer_is_registered_once_and_a_key_belongs_to_one_issuer() -> None:
    first = register()
    with nothing_changes(Issuer), pytest.raises(DomainError) as same_code:
        register(credit_code=first.credit_code)
    with nothing_changes(Issuer), pytest.raises(DomainError) as same_key:
        register(public_key_pem=first.public_key_pem)
    assert (same_code.value.field, same_key.value.field) == ("credit_code", "public_key_pem")


def test_a_bidder_cannot_register_or_deactivate_an_issuer(owner: Person) -> None:
    with nothing_changes(Issuer), pytest.raises(DomainError) as refused:
        register(actor=owner)
    issuer = register()
    with nothing_changes(Issuer), pytest.raises(DomainError) as not_yours:
        guarantees.issuer_deactivate(issuer=issuer, actor=owner, reason="想停用")
    assert refused.value.code == not_yours.value.code == "forbidden"


def test_a_deactivation_needs_a_reason_and_happens_once(staff: Person) -> None:
    issuer = register()
    with nothing_changes(Issuer), pytest.raises(DomainError):
        guarantees.issuer_deactivate(issuer=issuer, actor=staff, reason=" ")
    guarantees.issuer_deactivate(issuer=issuer, actor=staff, reason="金融许可证被注销")
    with nothing_changes(Issuer), pytest.raises(DomainError) as again:
        guarantees.issuer_deactivate(issuer=issuer, actor=staff, reason="再次停用")
    issuer.refresh_from_db()
    assert not issuer.is_active and again.value.code == "conflict"
    entry = LedgerEntry.objects.get(action="deposits.issuer.deactivated")
    assert entry.data["reason"] == "金融许可证被注销"


def test_operations_register_and_deactivate_issuers_from_the_command_line(
    tmp_path: Path, staff: Person
) -> None:
    key_file = tmp_path / "issuer.pem"
    key_file.write_text(pem())
    code = credit_code()
    out = StringIO()
    call_command(
        "register_issuer",
        "--name=示范担保有限公司",
        f"--credit-code={code}",
        "--kind=guarantor",
        f"--public-key={key_file}",
        "--claim-url=http://127.0.0.1:9/claims",
        f"--by={staff.username}",
        stdout=out,
    )
    assert f"registered 示范担保有限公司 {code}" in out.getvalue()
    with pytest.raises(CommandError, match="already registered"):
        call_command(
            "register_issuer",
            "--name=again",
            f"--credit-code={code}",
            "--kind=bank",
            f"--public-key={key_file}",
        )
    call_command("deactivate_issuer", code, "--reason=停业", stdout=out)
    assert not Issuer.objects.get(credit_code=code).is_active
