from __future__ import annotations

import datetime
import pickle

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ggzy_core.gm import sm2
from ggzy_core.gm.curve import GX, GY, N
from ggzy_core.gm.errors import GMError, InvalidKey, NotSM2Key, WrongPassword
from ggzy_core.gm.keyformats import encode_ec_private_key
from ggzy_core.gm.pem import pem_encode
from ggzy_core.gm.sm3 import sm3_hex

from .helpers import FAST_ITERATIONS, secret_renderings


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


def _p256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pkcs8(other: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _spki(other: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- round trips ---------------------------------------------------------------------------


def test_an_unencrypted_pkcs8_pem_round_trips(key: sm2.SM2PrivateKey) -> None:
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert sm2.load_private_key(pem).public_key() == key.public_key()


def test_a_pkcs8_der_round_trips(key: sm2.SM2PrivateKey) -> None:
    assert sm2.load_private_key(key.to_der()).public_key() == key.public_key()


def test_an_encrypted_pkcs8_pem_round_trips_with_its_password(key: sm2.SM2PrivateKey) -> None:
    pem = key.to_pem(b"correct horse", iterations=FAST_ITERATIONS)
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert sm2.load_private_key(pem, b"correct horse").public_key() == key.public_key()


def test_the_default_encryption_uses_a_strong_iteration_count(key: sm2.SM2PrivateKey) -> None:
    from pyasn1.codec.der import decoder
    from pyasn1_modules import rfc5208, rfc8018

    from ggzy_core.gm.pem import pem_blocks

    der = pem_blocks(key.to_pem(b"pw"))[0][1]
    info, _ = decoder.decode(der, asn1Spec=rfc5208.EncryptedPrivateKeyInfo())
    pbes2, _ = decoder.decode(
        bytes(info["encryptionAlgorithm"]["parameters"]), asn1Spec=rfc8018.PBES2_params()
    )
    kdf, _ = decoder.decode(
        bytes(pbes2["keyDerivationFunc"]["parameters"]), asn1Spec=rfc8018.PBKDF2_params()
    )
    assert int(kdf["iterationCount"]) >= 600_000
    assert kdf["prf"]["algorithm"] == rfc8018.id_hmacWithSHA256


def test_it_accepts_a_legacy_sec1_ec_private_key_with_the_sm2_curve(
    key: sm2.SM2PrivateKey,
) -> None:
    pem = pem_encode(
        "EC PRIVATE KEY", encode_ec_private_key(key._d, (key.public_key().x, key.public_key().y))
    )
    assert sm2.load_private_key(pem).public_key() == key.public_key()


def test_it_reads_pem_with_windows_line_endings_and_text_around_it(
    key: sm2.SM2PrivateKey,
) -> None:
    pem = b"Bag Attributes: exported by a CA tool\r\n" + key.to_pem().replace(b"\n", b"\r\n")
    assert sm2.load_private_key(pem + b"trailing notes\r\n").public_key() == key.public_key()
    public_pem = key.public_key().to_pem().replace(b"\n", b"\r\n")
    assert sm2.load_public_key(public_pem) == key.public_key()


def test_a_public_key_round_trips_through_pem_der_and_point_bytes(key: sm2.SM2PrivateKey) -> None:
    public = key.public_key()
    assert sm2.load_public_key(public.to_pem()) == public
    assert sm2.load_public_key(public.to_der()) == public
    assert sm2.SM2PublicKey.from_bytes(public.to_bytes()) == public


def test_it_accepts_a_compressed_point(key: sm2.SM2PrivateKey) -> None:
    public = key.public_key()
    compressed = bytes([2 + (public.y & 1)]) + public.x.to_bytes(32, "big")
    assert sm2.SM2PublicKey.from_bytes(compressed) == public


def test_the_fingerprint_is_the_sm3_of_the_subject_public_key_info(key: sm2.SM2PrivateKey) -> None:
    public = key.public_key()
    assert public.fingerprint() == sm3_hex(public.to_der())
    assert len(public.fingerprint()) == 64
    assert public.fingerprint() != sm2.generate_private_key().public_key().fingerprint()


# --- validation ----------------------------------------------------------------------------


def test_it_rejects_a_point_off_the_curve() -> None:
    with pytest.raises(InvalidKey, match="not on the SM2 curve"):
        sm2.SM2PublicKey(GX, GY + 1)


def test_it_rejects_the_origin_which_stands_for_no_point() -> None:
    with pytest.raises(InvalidKey, match="not on the SM2 curve"):
        sm2.SM2PublicKey(0, 0)


def test_it_rejects_an_off_curve_point_inside_a_public_key_file(key: sm2.SM2PrivateKey) -> None:
    der = bytearray(key.public_key().to_der())
    der[-1] ^= 1  # last byte of y
    with pytest.raises(InvalidKey, match="not on the SM2 curve"):
        sm2.load_public_key(bytes(der))


@pytest.mark.parametrize("d", [0, N - 1, N, -1], ids=["zero", "n-1", "n", "negative"])
def test_it_rejects_a_private_scalar_outside_1_to_n_minus_2(d: int) -> None:
    with pytest.raises(InvalidKey, match=r"\[1, n-2\]"):
        sm2.SM2PrivateKey(d)


def test_it_rejects_a_key_file_whose_public_key_does_not_match(key: sm2.SM2PrivateKey) -> None:
    other = sm2.generate_private_key().public_key()
    pem = pem_encode("EC PRIVATE KEY", encode_ec_private_key(key._d, (other.x, other.y)))
    with pytest.raises(InvalidKey, match="does not match"):
        sm2.load_private_key(pem)


# --- errors people will meet ---------------------------------------------------------------


def test_a_wrong_password_says_so(key: sm2.SM2PrivateKey) -> None:
    pem = key.to_pem(b"right", iterations=FAST_ITERATIONS)
    with pytest.raises(WrongPassword, match="wrong password"):
        sm2.load_private_key(pem, b"wrong")


def test_an_encrypted_key_without_a_password_asks_for_one(key: sm2.SM2PrivateKey) -> None:
    pem = key.to_pem(b"right", iterations=FAST_ITERATIONS)
    with pytest.raises(WrongPassword, match="password is needed"):
        sm2.load_private_key(pem)


def test_a_p256_private_key_is_refused_naming_the_curve() -> None:
    with pytest.raises(NotSM2Key, match="P-256"):
        sm2.load_private_key(_pkcs8(_p256_key()))


def test_a_traditional_p256_ec_private_key_is_refused_naming_the_curve() -> None:
    pem = _p256_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with pytest.raises(NotSM2Key, match="P-256"):
        sm2.load_private_key(pem)


def test_an_rsa_private_key_is_refused_naming_rsa() -> None:
    rsa_key = _rsa_key()
    with pytest.raises(NotSM2Key, match="RSA"):
        sm2.load_private_key(_pkcs8(rsa_key))
    traditional = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with pytest.raises(NotSM2Key, match="RSA"):
        sm2.load_private_key(traditional)


@pytest.mark.parametrize(("make", "name"), [(_p256_key, "P-256"), (_rsa_key, "RSA")])
def test_a_non_sm2_public_key_is_refused_naming_its_algorithm(make, name: str) -> None:
    with pytest.raises(NotSM2Key, match=name):
        sm2.load_public_key(_spki(make()))


def test_a_certificate_for_a_p256_key_is_refused() -> None:
    issuer_key = _p256_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not sm2")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(issuer_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(issuer_key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(NotSM2Key, match=r"certificate does not hold an SM2 key.*P-256"):
        sm2.load_public_key_from_certificate(pem)
    with pytest.raises(NotSM2Key):
        sm2.load_public_key(cert.public_bytes(serialization.Encoding.DER))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello world",
        b"\x30\x03\x02\x01\x00",
        b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
    ],
    ids=["empty", "text", "wrong-der", "bad-base64"],
)
def test_garbage_is_refused_as_an_invalid_key(data: bytes) -> None:
    with pytest.raises(InvalidKey):
        sm2.load_private_key(data)
    with pytest.raises(InvalidKey):
        sm2.load_public_key(data)


def test_a_public_key_file_is_not_taken_for_a_private_key(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(InvalidKey, match="public key or certificate, not a private key"):
        sm2.load_private_key(key.public_key().to_pem())


def test_a_private_key_file_is_not_taken_for_a_public_key(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(InvalidKey, match="holds a private key"):
        sm2.load_public_key(key.to_pem())


def test_a_legacy_encrypted_pem_is_refused_with_a_conversion_hint() -> None:
    pem = (
        b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        b"DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n"
        b"-----END EC PRIVATE KEY-----\n"
    )
    with pytest.raises(InvalidKey, match="openssl pkcs8 -topk8"):
        sm2.load_private_key(pem, b"pw")


# --- the private scalar stays private -------------------------------------------------------


def test_repr_and_str_do_not_reveal_the_private_key(key: sm2.SM2PrivateKey) -> None:
    texts = [repr(key), str(key), f"{key}", repr([key]), repr(key.public_key())]
    for secret in secret_renderings(key):
        assert all(secret not in text for text in texts)
    assert "SM2PrivateKey" in repr(key)


def test_error_messages_do_not_reveal_the_private_key(key: sm2.SM2PrivateKey) -> None:
    der = bytearray(key.to_der())
    der[-1] ^= 1  # corrupt the stored public key so loading fails after parsing the scalar
    failures: list[GMError] = []
    for attempt in (
        lambda: sm2.load_private_key(bytes(der)),
        lambda: sm2.load_private_key(key.to_pem(b"a", iterations=FAST_ITERATIONS), b"b"),
        lambda: sm2.load_public_key(key.to_pem()),
    ):
        with pytest.raises(GMError) as caught:
            attempt()
        failures.append(caught.value)
    for failure in failures:
        text = f"{failure} {failure!r} {failure.__cause__!r}"
        for secret in secret_renderings(key):
            assert secret not in text


def test_a_private_key_cannot_be_pickled(key: sm2.SM2PrivateKey) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)


def test_public_keys_compare_and_hash_by_point(key: sm2.SM2PrivateKey) -> None:
    copy = sm2.load_public_key(key.public_key().to_pem())
    assert copy == key.public_key()
    assert len({copy, key.public_key()}) == 1
