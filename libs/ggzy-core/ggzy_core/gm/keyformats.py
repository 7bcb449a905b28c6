"""SM2 key file formats, matching what OpenSSL 3 reads and writes.

* private key: PKCS#8 ``PrivateKeyInfo`` (``-----BEGIN PRIVATE KEY-----``) whose algorithm is
  id-ecPublicKey (1.2.840.10045.2.1) with the named curve SM2 (1.2.156.10197.1.301) as
  parameters, wrapping a SEC1 ``ECPrivateKey`` {version 1, 32-byte scalar, [1] public key}
  exactly as ``openssl genpkey -algorithm SM2`` emits it;
* encrypted private key: PKCS#8 ``EncryptedPrivateKeyInfo`` with PBES2 (see :mod:`.pbes2`);
* legacy SEC1 ``-----BEGIN EC PRIVATE KEY-----`` with the SM2 curve in [0] (read only);
* public key: ``SubjectPublicKeyInfo`` (``-----BEGIN PUBLIC KEY-----``), uncompressed point;
* X.509 certificates (PEM or DER): the subject's SubjectPublicKeyInfo.

This module deals in integers and points; :mod:`.sm2` wraps them in key objects. pyasn1
error messages can quote the bytes being decoded, so they are never chained into ours.
"""

from __future__ import annotations

from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1_modules import rfc5208, rfc5280, rfc5915

from . import curve, pbes2
from .errors import InvalidKey, NotSM2Key, WrongPassword
from .pem import looks_like_pem, pem_blocks, pem_encode

ID_EC_PUBLIC_KEY = univ.ObjectIdentifier("1.2.840.10045.2.1")
SM2_CURVE = univ.ObjectIdentifier("1.2.156.10197.1.301")

_ALGORITHM_NAMES = {
    "1.2.840.113549.1.1.1": "RSA (rsaEncryption)",
    "1.2.840.113549.1.1.10": "RSA-PSS",
    "1.2.840.10040.4.1": "DSA",
    "1.3.101.110": "X25519",
    "1.3.101.111": "X448",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
}
_CURVE_NAMES = {
    "1.2.840.10045.3.1.7": "P-256 (prime256v1)",
    "1.3.132.0.34": "P-384 (secp384r1)",
    "1.3.132.0.35": "P-521 (secp521r1)",
    "1.3.132.0.10": "secp256k1",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
}
_NOT_SM2_LABELS = {
    "RSA PRIVATE KEY": "RSA (PKCS#1)",
    "RSA PUBLIC KEY": "RSA (PKCS#1)",
    "DSA PRIVATE KEY": "DSA",
    "OPENSSH PRIVATE KEY": "OpenSSH",
}
_PRIVATE_LABELS = ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY")
_PUBLIC_LABELS = ("PUBLIC KEY", "CERTIFICATE")
_WANT_SM2 = "an SM2 key (id-ecPublicKey on curve 1.2.156.10197.1.301) is required"


def _decode(data: bytes, spec: univ.Asn1Item) -> univ.Asn1Item | None:
    """Decode exactly one DER value of ``spec``; None if the bytes are something else."""
    try:
        value, rest = der_decoder.decode(bytes(data), asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError):
        return None
    return None if rest else value


def _sm2_algorithm_identifier(alg: rfc5208.AlgorithmIdentifier) -> None:
    """Raise NotSM2Key (naming what was found) unless ``alg`` is id-ecPublicKey + SM2."""
    oid = str(alg["algorithm"])
    if oid != str(ID_EC_PUBLIC_KEY):
        name = _ALGORITHM_NAMES.get(oid, f"algorithm OID {oid}")
        raise NotSM2Key(f"found a {name} key; {_WANT_SM2}")
    params = alg["parameters"]
    curve_oid = _decode(bytes(params), univ.ObjectIdentifier()) if params.isValue else None
    if curve_oid is None:
        raise NotSM2Key(f"found an EC key without a named curve; {_WANT_SM2}")
    if str(curve_oid) != str(SM2_CURVE):
        name = _CURVE_NAMES.get(str(curve_oid), f"curve OID {curve_oid}")
        raise NotSM2Key(f"found an EC key on {name}; {_WANT_SM2}")


def _sm2_algorithm() -> rfc5280.AlgorithmIdentifier:
    alg = rfc5280.AlgorithmIdentifier()
    alg["algorithm"] = ID_EC_PUBLIC_KEY
    alg["parameters"] = univ.Any(der_encoder.encode(SM2_CURVE))
    return alg


def point_to_octets(point: curve.Point) -> bytes:
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def octets_to_point(data: bytes) -> curve.Point:
    """Parse an SEC1 point (uncompressed 04||x||y or compressed 02/03||x) and validate it."""
    if len(data) == 65 and data[0] == 4:
        point = (int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
        return curve.check_public_point(point)
    if len(data) == 33 and data[0] in (2, 3):
        return curve.check_public_point(curve.decompress(data[0], int.from_bytes(data[1:], "big")))
    raise InvalidKey(
        "SM2 public key rejected: a point must be 65 bytes 04||x||y or 33 bytes 02/03||x"
    )


def _bit_string_octets(bits: univ.BitString) -> bytes:
    if len(bits) % 8:
        raise InvalidKey("SM2 public key rejected: the BIT STRING has unused bits")
    return bytes(bits.asOctets())


# --- public keys ---------------------------------------------------------------------------


def encode_spki(point: curve.Point) -> bytes:
    spki = rfc5280.SubjectPublicKeyInfo()
    spki["algorithm"] = _sm2_algorithm()
    spki["subjectPublicKey"] = univ.BitString.fromOctetString(point_to_octets(point))
    return bytes(der_encoder.encode(spki))


def _spki_point(spki: rfc5280.SubjectPublicKeyInfo) -> curve.Point:
    _sm2_algorithm_identifier(spki["algorithm"])
    return octets_to_point(_bit_string_octets(spki["subjectPublicKey"]))


def decode_spki(der: bytes) -> curve.Point:
    spki = _decode(der, rfc5280.SubjectPublicKeyInfo())
    if spki is None:
        raise InvalidKey("not a public key: expected DER SubjectPublicKeyInfo")
    return _spki_point(spki)


def decode_certificate(der: bytes) -> curve.Point:
    cert = _decode(der, rfc5280.Certificate())
    if cert is None:
        raise InvalidKey("not a certificate: expected a DER X.509 Certificate")
    try:
        return _spki_point(cert["tbsCertificate"]["subjectPublicKeyInfo"])
    except NotSM2Key as exc:
        raise NotSM2Key(f"the certificate does not hold an SM2 key: {exc}") from None


def read_public_key(data: bytes, *, certificate_only: bool = False) -> curve.Point:
    """Read an SPKI or a certificate, PEM or DER; return the validated point."""
    return read_public_key_source(data, certificate_only=certificate_only)[0]


def read_public_key_source(
    data: bytes, *, certificate_only: bool = False
) -> tuple[curve.Point, bytes | None]:
    """Like :func:`read_public_key`, and the DER of the certificate the key was read from
    (None for a bare public key): exactly that certificate, not the rest of the file, which
    may hold anything (a PEM bundle often carries the private key too)."""
    wanted = ("CERTIFICATE",) if certificate_only else _PUBLIC_LABELS
    if not looks_like_pem(data):
        if not certificate_only and _decode(data, rfc5280.SubjectPublicKeyInfo()) is not None:
            return decode_spki(data), None
        if _decode(data, rfc5280.Certificate()) is not None:
            return decode_certificate(data), bytes(data)
        what = "certificate" if certificate_only else "public key or certificate"
        raise InvalidKey(f"not a {what}: no PEM block and not DER {' / '.join(wanted)}")
    blocks = pem_blocks(data)
    for label, der, _headers in blocks:
        if label == "PUBLIC KEY" and label in wanted:
            return decode_spki(der), None
        if label == "CERTIFICATE":
            return decode_certificate(der), der
    labels = [label for label, _der, _h in blocks]
    for label in labels:
        if label in _NOT_SM2_LABELS:
            raise NotSM2Key(f"found a {_NOT_SM2_LABELS[label]} key; {_WANT_SM2}")
    if any(label in _PRIVATE_LABELS for label in labels):
        raise InvalidKey(
            "this file holds a private key, not a public key; export the public key "
            "(ggzy-bid pubkey) and share only that"
        )
    raise InvalidKey(f"no PEM block {' or '.join(wanted)} found (found: {labels or 'none'})")


# --- private keys --------------------------------------------------------------------------


def _ec_private_key(d: int, point: curve.Point, *, with_curve: bool) -> rfc5915.ECPrivateKey:
    key = rfc5915.ECPrivateKey()
    key["version"] = 1
    key["privateKey"] = d.to_bytes(32, "big")
    if with_curve:
        key["parameters"]["namedCurve"] = SM2_CURVE
    key["publicKey"] = key["publicKey"].clone(hexValue=point_to_octets(point).hex())
    return key


def encode_private_key_info(d: int, point: curve.Point) -> bytes:
    """PKCS#8 DER, byte-identical to ``openssl genpkey -algorithm SM2`` output."""
    info = rfc5208.PrivateKeyInfo()
    info["version"] = 0
    info["privateKeyAlgorithm"]["algorithm"] = ID_EC_PUBLIC_KEY
    info["privateKeyAlgorithm"]["parameters"] = univ.Any(der_encoder.encode(SM2_CURVE))
    info["privateKey"] = der_encoder.encode(_ec_private_key(d, point, with_curve=False))
    return bytes(der_encoder.encode(info))


def encode_ec_private_key(d: int, point: curve.Point) -> bytes:
    """Legacy SEC1 DER with the SM2 curve in [0] (for tools that still want it)."""
    return bytes(der_encoder.encode(_ec_private_key(d, point, with_curve=True)))


def encode_private_key_pem(
    d: int, point: curve.Point, password: bytes | None, iterations: int
) -> bytes:
    der = encode_private_key_info(d, point)
    if password is None:
        return pem_encode("PRIVATE KEY", der)
    return pem_encode(
        "ENCRYPTED PRIVATE KEY", pbes2.encrypt_private_key_info(der, password, iterations)
    )


def _parse_ec_private_key(der: bytes, *, need_curve: bool) -> tuple[int, curve.Point | None]:
    key = _decode(der, rfc5915.ECPrivateKey())
    if key is None or int(key["version"]) != 1:
        raise InvalidKey("SM2 private key rejected: the inner ECPrivateKey is not valid SEC1 DER")
    if key["parameters"].isValue:
        curve_oid = str(key["parameters"]["namedCurve"])
        if curve_oid != str(SM2_CURVE):
            name = _CURVE_NAMES.get(curve_oid, f"curve OID {curve_oid}")
            raise NotSM2Key(f"found an EC key on {name}; {_WANT_SM2}")
    elif need_curve:
        raise InvalidKey("EC PRIVATE KEY rejected: it names no curve, so it cannot be an SM2 key")
    scalar = bytes(key["privateKey"])
    if not 1 <= len(scalar) <= 32:
        raise InvalidKey("SM2 private key rejected: the scalar must be at most 32 bytes")
    d = curve.check_private_scalar(int.from_bytes(scalar, "big"))
    point = None
    if key["publicKey"].isValue:
        point = octets_to_point(_bit_string_octets(key["publicKey"]))
    return d, point


def _parse_private_key_info(der: bytes) -> tuple[int, curve.Point | None]:
    info = _decode(der, rfc5208.PrivateKeyInfo())
    if info is None:
        raise InvalidKey("not a private key: expected DER PKCS#8 PrivateKeyInfo")
    if int(info["version"]) not in (0, 1):
        raise InvalidKey("PKCS#8 private key rejected: unknown version")
    _sm2_algorithm_identifier(info["privateKeyAlgorithm"])
    return _parse_ec_private_key(bytes(info["privateKey"]), need_curve=False)


def _decrypt(der: bytes, password: bytes | None) -> bytes:
    if password is None:
        raise WrongPassword("this private key is encrypted: a password is needed to open it")
    plain = pbes2.decrypt_private_key_info(der, password)
    if _decode(plain, rfc5208.PrivateKeyInfo()) is None:
        # Valid CBC padding by chance (about 1 in 256) but garbage inside: still the password.
        raise WrongPassword("wrong password: the encrypted private key could not be decrypted")
    return plain


def read_private_key(data: bytes, password: bytes | None) -> tuple[int, curve.Point | None]:
    """Return (d, public point stored in the file or None)."""
    if not looks_like_pem(data):
        if _decode(data, rfc5208.PrivateKeyInfo()) is not None:
            return _parse_private_key_info(data)
        if _decode(data, rfc5208.EncryptedPrivateKeyInfo()) is not None:
            return _parse_private_key_info(_decrypt(data, password))
        if _decode(data, rfc5915.ECPrivateKey()) is not None:
            return _parse_ec_private_key(data, need_curve=True)
        raise InvalidKey(
            "not a private key: expected PEM (PRIVATE KEY, ENCRYPTED PRIVATE KEY, "
            "EC PRIVATE KEY) or PKCS#8 DER"
        )
    blocks = pem_blocks(data)
    for label, der, has_headers in blocks:
        if label == "PRIVATE KEY":
            return _parse_private_key_info(der)
        if label == "ENCRYPTED PRIVATE KEY":
            return _parse_private_key_info(_decrypt(der, password))
        if label == "EC PRIVATE KEY":
            if has_headers:
                raise InvalidKey(
                    "legacy encrypted PEM (Proc-Type/DEK-Info) is not supported; convert it "
                    "with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.pem -out NEW.pem"
                )
            return _parse_ec_private_key(der, need_curve=True)
    labels = [label for label, _der, _h in blocks]
    for label in labels:
        if label in _NOT_SM2_LABELS:
            raise NotSM2Key(f"found a {_NOT_SM2_LABELS[label]} key; {_WANT_SM2}")
    if any(label in _PUBLIC_LABELS for label in labels):
        raise InvalidKey("this file holds a public key or certificate, not a private key")
    raise InvalidKey(f"no PEM private key block found (found: {labels or 'none'})")
