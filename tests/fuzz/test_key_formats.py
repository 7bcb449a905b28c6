"""Fuzzing the key and certificate readers: PEM armor, DER, PKCS#8 (plain and PBES2),
SEC1, SubjectPublicKeyInfo, X.509, the SM2 signature and ciphertext DER.

Property: only GMError (InvalidKey, NotSM2Key, WrongPassword, MalformedData, InvalidSignature,
DecryptionError) — the errors sm2.load_* and der.decode_* document — never another exception;
PBKDF2 never runs more than MAX_ITERATIONS (the work an input may ask for is bounded);
memory within a bound per input byte. Starting points are valid keys, so the mutations reach
deep into each structure rather than stopping at the first byte.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterator
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import example, given
from hypothesis import strategies as st
from pyasn1.codec.der import decoder, encoder
from pyasn1_modules import rfc5280

from ggzy_core.gm import der, keyformats, pbes2, sm2
from ggzy_core.gm.errors import GMError
from ggzy_core.gm.pem import pem_blocks, pem_encode
from tests.fuzz.bounds import bounded_memory, examples, outcome, reproducible_randomness

pytestmark = pytest.mark.fuzz

PER_BYTE, CONSTANT = 64, 1 << 20
PASSWORD = b"fuzz-password"
FAST_ITERATIONS = 1000  # the count is not what these targets test
KEY = sm2.SM2PrivateKey(0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8)


def sm2_certificate_der(key: sm2.SM2PublicKey) -> bytes:
    """An X.509 certificate holding ``key`` (signed by a P-256 issuer: the reader takes the
    subject's key and checks no signature, so the issuer's algorithm does not matter)."""
    issuer = ec.derive_private_key(0x6767_7A79, ec.SECP256R1())  # fixed: the same bytes every run
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ggzy fuzz")])
    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(issuer.public_key())
        .serial_number(1)
        .not_valid_before(moment)
        .not_valid_after(moment + datetime.timedelta(days=1))
        .sign(issuer, hashes.SHA256(), ecdsa_deterministic=True)
    )
    cert, _ = decoder.decode(
        built.public_bytes(serialization.Encoding.DER), asn1Spec=rfc5280.Certificate()
    )
    spki, _ = decoder.decode(key.to_der(), asn1Spec=rfc5280.SubjectPublicKeyInfo())
    cert["tbsCertificate"]["subjectPublicKeyInfo"] = spki
    return bytes(encoder.encode(cert))


@cache
def private_seeds() -> list[bytes]:
    d, point = KEY._d, KEY.public_key()._point
    with reproducible_randomness():
        return _private_seeds(d, point)


def _private_seeds(d: int, point: tuple[int, int]) -> list[bytes]:
    return [
        KEY.to_pem(),
        KEY.to_der(),
        KEY.to_pem(PASSWORD, iterations=FAST_ITERATIONS),
        pem_encode("EC PRIVATE KEY", keyformats.encode_ec_private_key(d, point)),
    ]


@cache
def public_seeds() -> list[bytes]:
    certificate = sm2_certificate_der(KEY.public_key())
    return [
        KEY.public_key().to_pem(),
        KEY.public_key().to_der(),
        certificate,
        pem_encode("CERTIFICATE", certificate),
    ]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few bytes changed; PEM seeds are mutated inside their DER and re-armored
    half the time, so that the DER parsers (not only the base64 check) see the damage."""
    seed = draw(st.sampled_from(seeds))
    blocks = pem_blocks(seed) if seed.startswith(b"-----BEGIN") else []
    inner = bool(blocks) and draw(st.booleans())
    data = bytearray(blocks[0][1] if inner else seed)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF]))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 8))]
    return pem_encode(blocks[0][0], bytes(data)) if inner else bytes(data)


@pytest.fixture(autouse=True)
def _count_pbkdf2(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """PBKDF2 is the only work an input can scale (its iteration count): count it."""
    counts: list[int] = []
    derive = pbes2._derive

    def counting(password: bytes, salt: bytes, iterations: int, prf: object, size: int) -> bytes:
        assert 1 <= iterations <= pbes2.MAX_ITERATIONS, iterations
        counts.append(iterations)
        return derive(password, salt, iterations, prf, size)  # type: ignore[arg-type]

    monkeypatch.setattr(pbes2, "_derive", counting)
    yield counts


def test_the_seeds_are_valid_keys() -> None:
    for seed in private_seeds():
        assert sm2.load_private_key(seed, PASSWORD).public_key() == KEY.public_key()
    for seed in public_seeds():
        assert sm2.load_public_key(seed) == KEY.public_key()


@examples(200)
@given(st.one_of(mutated(private_seeds()), st.binary(max_size=300)))
@example(b"-----BEGIN PRIVATE KEY-----\n\xff\n-----END PRIVATE KEY-----\n")
@example(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n")
@example(b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n-----END EC PRIVATE KEY-----\n")
def test_private_key_reading_raises_only_gm_errors(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        for password in (None, PASSWORD):
            result = outcome((GMError,), lambda: sm2.load_private_key(data, password))  # noqa: B023 - called at once
            if isinstance(result, sm2.SM2PrivateKey):
                assert 1 <= result._d < sm2.curve.N


@examples(200)
@given(st.one_of(mutated(public_seeds()), st.binary(max_size=300)))
@example(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
@example(
    b"-----BEGIN PUBLIC KEY-----\n"
    + base64.b64encode(b"\x30\x80" * 40)
    + b"\n-----END PUBLIC KEY-----\n"
)
def test_public_key_and_certificate_reading_raises_only_gm_errors(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        for read in (sm2.load_public_key, sm2.load_public_key_from_certificate):
            result = outcome((GMError,), lambda: read(data))  # noqa: B023 - called at once
            if isinstance(result, sm2.SM2PublicKey):  # on the curve, so usable as is
                assert result == sm2.SM2PublicKey(result.x, result.y)


@cache
def wire_seeds() -> list[bytes]:
    with reproducible_randomness():
        return [KEY.sign(b"fuzz"), KEY.public_key().encrypt(b"a content key 16")]


@cache
def _encrypted_key_der() -> bytes:
    with reproducible_randomness():
        return pem_blocks(KEY.to_pem(PASSWORD, iterations=FAST_ITERATIONS))[0][1]


@examples(150)
@given(st.one_of(mutated(wire_seeds()), st.binary(max_size=200)))
@example(b"\x30\x06\x02\x01\x00\x02\x01\x01")
@example(b"\x30\x84\xff\xff\xff\xff")
def test_signature_and_ciphertext_der_raise_only_their_documented_errors(data: bytes) -> None:
    with bounded_memory(len(data), per_byte=PER_BYTE, constant=CONSTANT):
        outcome((GMError,), lambda: der.decode_signature(data))
        outcome((GMError,), lambda: der.decode_ciphertext(data))
        assert KEY.public_key().verify(b"fuzz", data) == (data == wire_seeds()[0])
        plaintext = outcome((GMError,), lambda: KEY.decrypt(data))
        if isinstance(plaintext, bytes):
            assert plaintext == b"a content key 16"


@examples(200)
@given(mutated([_encrypted_key_der()]))
def test_an_encrypted_key_refuses_with_gm_errors_and_bounded_pbkdf2(
    _count_pbkdf2: list[int], data: bytes
) -> None:
    result = outcome((GMError,), lambda: pbes2.decrypt_private_key_info(data, PASSWORD))
    assert all(count <= pbes2.MAX_ITERATIONS for count in _count_pbkdf2)
    assert isinstance(result, GMError | bytes)
