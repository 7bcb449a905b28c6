"""ggzy_core.gm — national (GM/T) cryptography for ggzy: SM2, SM3, SM4.

A plain library with no Django import. SM3 and SM4 run in OpenSSL via ``cryptography``;
SM2 uses gmssl's point arithmetic behind a wrapper that supplies CSPRNG nonces, validates
keys and points, and speaks the formats OpenSSL 3 uses (PKCS#8/SPKI PEM, DER signatures,
GM/T 0009 ciphertext, ID ``1234567812345678``). See docs/crypto.md.
"""

from .errors import (
    DecryptionError,
    GMError,
    InvalidKey,
    InvalidSignature,
    MalformedData,
    NotSM2Key,
    WrongPassword,
)
from .sm2 import (
    DEFAULT_ID,
    SM2PrivateKey,
    SM2PublicKey,
    compute_z,
    generate_private_key,
    load_private_key,
    load_public_key,
    load_public_key_from_certificate,
)
from .sm3 import SM3, sm3, sm3_hex, sm3_stream
from .sm4 import GCMDecryptor, GCMEncryptor, gcm_decrypt, gcm_encrypt

__all__ = [
    "DEFAULT_ID",
    "SM3",
    "DecryptionError",
    "GCMDecryptor",
    "GCMEncryptor",
    "GMError",
    "InvalidKey",
    "InvalidSignature",
    "MalformedData",
    "NotSM2Key",
    "SM2PrivateKey",
    "SM2PublicKey",
    "WrongPassword",
    "compute_z",
    "gcm_decrypt",
    "gcm_encrypt",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "load_public_key_from_certificate",
    "sm3",
    "sm3_hex",
    "sm3_stream",
]
