"""Fuzzing the binding of a bidder's key (accounts.services.key_bind): an SPKI or an X.509
certificate, PEM or DER, uploaded by an organisation's admin.

Property: a DomainError (code invalid_key or duplicate) or a bound key, never another
exception (on PostgreSQL too, where text may not hold NUL); what is stored is the key and
the certificate it came from, never anything else the file held (a private key beside the
certificate in a PEM bundle stays on the bidder's machine).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accounts import services
from accounts.models import OrganisationKey, Person
from ggzy.errors import DomainError
from ggzy_core.gm import sm2
from ggzy_core.gm.pem import pem_blocks
from tests.fuzz.bounds import examples, outcome
from tests.fuzz.test_key_formats import KEY, mutated, public_seeds, sm2_certificate_der

pytestmark = pytest.mark.fuzz


def _certificate_pem() -> bytes:
    return public_seeds()[3]


def test_a_pem_bundle_binds_the_certificate_and_never_stores_the_private_key_beside_it(
    owner: Person,
) -> None:
    assert owner.organisation is not None
    bundle = b"Bag Attributes: nonsense\n" + KEY.to_pem() + _certificate_pem() + b"\x00 trailing\n"
    key = services.key_bind(organisation=owner.organisation, actor=owner, key_data=bundle)
    assert key.fingerprint == KEY.public_key().fingerprint()
    assert "PRIVATE KEY" not in key.certificate_pem
    assert "\x00" not in key.certificate_pem and "nonsense" not in key.certificate_pem
    [(label, der, _)] = pem_blocks(key.certificate_pem.encode())
    assert label == "CERTIFICATE" and der == pem_blocks(_certificate_pem())[0][1]


def test_a_bare_public_key_stores_no_certificate(owner: Person) -> None:
    assert owner.organisation is not None
    key = services.key_bind(
        organisation=owner.organisation,
        actor=owner,
        key_data=b"CERTIFICATE? no: " + KEY.public_key().to_pem(),
    )
    assert key.certificate_pem == ""


@examples(100)
@given(
    st.one_of(
        mutated(public_seeds()),
        st.binary(max_size=300),
        st.tuples(
            st.binary(max_size=40), st.sampled_from(public_seeds()), st.binary(max_size=40)
        ).map(lambda parts: b"".join(parts)),
    )
)
@example(b"\x00-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
def test_binding_any_bytes_binds_a_key_or_refuses_with_a_reason(owner: Person, data: bytes) -> None:
    assert owner.organisation is not None
    before = set(OrganisationKey.objects.values_list("pk", flat=True))
    result = outcome(
        (DomainError,),
        lambda: services.key_bind(organisation=owner.organisation, actor=owner, key_data=data),  # type: ignore[arg-type]
    )
    if isinstance(result, DomainError):
        assert result.code in {"invalid_key", "duplicate"}
        assert set(OrganisationKey.objects.values_list("pk", flat=True)) == before
    else:
        assert "\x00" not in result.certificate_pem and "PRIVATE" not in result.certificate_pem
        assert (
            sm2.load_public_key(result.public_key_pem.encode()).fingerprint() == result.fingerprint
        )
        if result.certificate_pem:
            assert sm2.load_public_key_from_certificate(
                result.certificate_pem.encode()
            ).fingerprint() == (result.fingerprint)


def test_the_fuzz_certificate_is_an_sm2_certificate() -> None:
    assert (
        sm2.load_public_key_from_certificate(sm2_certificate_der(KEY.public_key()))
        == KEY.public_key()
    )
