"""Password-based encryption of PKCS#8 private keys (PKCS#5 v2.1 PBES2, RFC 8018).

We write PBKDF2-HMAC-SHA256 + AES-256-CBC, the scheme ``openssl genpkey -aes256`` and
``openssl pkcs8 -topk8 -v2 aes-256-cbc`` use, so OpenSSL 3 reads our files. We read the
same scheme with any of the common PRFs and AES-128/192/256-CBC or SM4-CBC, which covers
what OpenSSL and the usual Chinese CA tools write. The KDF and cipher run in OpenSSL
through ``cryptography``.
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pyasn1_modules import rfc5208, rfc8018

from .errors import InvalidKey, WrongPassword

# OWASP 2023 guidance for PBKDF2-HMAC-SHA256. OpenSSL's own default (2048) is far weaker.
DEFAULT_ITERATIONS = 600_000
# Refuse absurd counts in files we read: the count is attacker-controlled CPU time.
MAX_ITERATIONS = 10_000_000
SALT_SIZE = 16

_AES_CBC = {
    univ.ObjectIdentifier("2.16.840.1.101.3.4.1.2"): ("aes-128-cbc", 16),
    univ.ObjectIdentifier("2.16.840.1.101.3.4.1.22"): ("aes-192-cbc", 24),
    univ.ObjectIdentifier("2.16.840.1.101.3.4.1.42"): ("aes-256-cbc", 32),
}
_SM4_CBC = univ.ObjectIdentifier("1.2.156.10197.1.104.2")
_PRFS: dict[univ.ObjectIdentifier, type[hashes.HashAlgorithm]] = {
    rfc8018.id_hmacWithSHA1: hashes.SHA1,
    rfc8018.id_hmacWithSHA224: hashes.SHA224,
    rfc8018.id_hmacWithSHA256: hashes.SHA256,
    rfc8018.id_hmacWithSHA384: hashes.SHA384,
    rfc8018.id_hmacWithSHA512: hashes.SHA512,
}
_AES256_CBC = univ.ObjectIdentifier("2.16.840.1.101.3.4.1.42")


def _algorithm_identifier(oid: univ.ObjectIdentifier, params: bytes) -> rfc5208.AlgorithmIdentifier:
    alg = rfc5208.AlgorithmIdentifier()
    alg["algorithm"] = oid
    alg["parameters"] = univ.Any(params)
    return alg


def _derive(
    password: bytes, salt: bytes, iterations: int, prf: hashes.HashAlgorithm, size: int
) -> bytes:
    kdf = PBKDF2HMAC(algorithm=prf, length=size, salt=salt, iterations=iterations)
    return kdf.derive(password)


def encrypt_private_key_info(
    private_key_info_der: bytes, password: bytes, iterations: int = DEFAULT_ITERATIONS
) -> bytes:
    """Wrap a PKCS#8 PrivateKeyInfo into an EncryptedPrivateKeyInfo (DER)."""
    if not password:
        raise ValueError("an empty password does not protect a key; write it unencrypted instead")
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"PBKDF2 iterations must lie in [1, {MAX_ITERATIONS}]")
    salt = secrets.token_bytes(SALT_SIZE)
    iv = secrets.token_bytes(16)
    key = _derive(password, salt, iterations, hashes.SHA256(), 32)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(private_key_info_der) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    encrypted = enc.update(padded) + enc.finalize()

    kdf_params = rfc8018.PBKDF2_params()
    kdf_params["salt"]["specified"] = salt
    kdf_params["iterationCount"] = iterations
    prf = rfc8018.AlgorithmIdentifier()
    prf["algorithm"] = rfc8018.id_hmacWithSHA256
    prf["parameters"] = univ.Null("")
    kdf_params["prf"] = prf
    pbes2 = rfc8018.PBES2_params()
    pbes2["keyDerivationFunc"]["algorithm"] = rfc8018.id_PBKDF2
    pbes2["keyDerivationFunc"]["parameters"] = univ.Any(der_encoder.encode(kdf_params))
    pbes2["encryptionScheme"]["algorithm"] = _AES256_CBC
    pbes2["encryptionScheme"]["parameters"] = univ.Any(der_encoder.encode(univ.OctetString(iv)))

    info = rfc5208.EncryptedPrivateKeyInfo()
    info["encryptionAlgorithm"] = _algorithm_identifier(rfc8018.id_PBES2, der_encoder.encode(pbes2))
    info["encryptedData"] = encrypted
    return bytes(der_encoder.encode(info))


def _decode(data: bytes, spec: univ.Asn1Item, what: str) -> univ.Asn1Item:
    try:
        value, rest = der_decoder.decode(bytes(data), asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError):
        raise InvalidKey(f"encrypted private key rejected: {what} is not valid DER") from None
    if rest:
        raise InvalidKey(f"encrypted private key rejected: trailing bytes after {what}")
    return value


def decrypt_private_key_info(encrypted_der: bytes, password: bytes) -> bytes:
    """Unwrap an EncryptedPrivateKeyInfo; return the inner PrivateKeyInfo DER (unchecked)."""
    info = _decode(encrypted_der, rfc5208.EncryptedPrivateKeyInfo(), "EncryptedPrivateKeyInfo")
    scheme = info["encryptionAlgorithm"]
    if scheme["algorithm"] != rfc8018.id_PBES2:
        raise InvalidKey(
            f"encrypted private key rejected: only PBES2 is supported, found {scheme['algorithm']}"
            " (re-encrypt with: openssl pkcs8 -topk8 -v2 aes-256-cbc)"
        )
    pbes2 = _decode(bytes(scheme["parameters"]), rfc8018.PBES2_params(), "PBES2 parameters")
    kdf = pbes2["keyDerivationFunc"]
    if kdf["algorithm"] != rfc8018.id_PBKDF2:
        raise InvalidKey(
            f"encrypted private key rejected: only PBKDF2 is supported, found {kdf['algorithm']}"
        )
    kdf_params = _decode(bytes(kdf["parameters"]), rfc8018.PBKDF2_params(), "PBKDF2 parameters")
    if kdf_params["salt"].getName() != "specified":
        raise InvalidKey("encrypted private key rejected: PBKDF2 salt must be an OCTET STRING")
    salt = bytes(kdf_params["salt"]["specified"])
    iterations = int(kdf_params["iterationCount"])
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise InvalidKey(
            f"encrypted private key rejected: PBKDF2 iteration count must lie in "
            f"[1, {MAX_ITERATIONS}], found {iterations}"
        )
    prf_oid = kdf_params["prf"]["algorithm"]
    prf = _PRFS.get(prf_oid)
    if prf is None:
        raise InvalidKey(f"encrypted private key rejected: unsupported PBKDF2 PRF {prf_oid}")

    cipher_alg = pbes2["encryptionScheme"]
    cipher_oid = cipher_alg["algorithm"]
    if cipher_oid in _AES_CBC:
        key_size = _AES_CBC[cipher_oid][1]
    elif cipher_oid == _SM4_CBC:
        key_size = 16
    else:
        raise InvalidKey(f"encrypted private key rejected: unsupported cipher {cipher_oid}")
    if kdf_params["keyLength"].isValue and int(kdf_params["keyLength"]) != key_size:
        raise InvalidKey("encrypted private key rejected: PBKDF2 keyLength does not fit the cipher")
    iv = bytes(_decode(bytes(cipher_alg["parameters"]), univ.OctetString(), "cipher IV"))
    if len(iv) != 16:
        raise InvalidKey("encrypted private key rejected: the CBC IV must be 16 bytes")

    key = _derive(password, salt, iterations, prf(), key_size)
    algorithm = algorithms.AES(key) if cipher_oid in _AES_CBC else algorithms.SM4(key)
    encrypted = bytes(info["encryptedData"])
    if not encrypted or len(encrypted) % 16:
        raise InvalidKey("encrypted private key rejected: ciphertext is not whole CBC blocks")
    dec = Cipher(algorithm, modes.CBC(iv)).decryptor()
    padded = dec.update(encrypted) + dec.finalize()
    try:
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        # Bad padding after CBC decryption is what a wrong password looks like.
        raise WrongPassword(
            "wrong password: the encrypted private key could not be decrypted with it"
        ) from None
