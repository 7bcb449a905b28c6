"""SM2 public-key cryptography (GB/T 32918) on the recommended curve.

Signatures: e = SM3(Z ‖ M) with Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) and the
distinguishing ID ``1234567812345678`` by default; output DER ``SEQUENCE {r, s}``.
Encryption: GM/T 0009 DER ``SEQUENCE {x, y, C3, C2}`` (C1C3C2). Keys: see :mod:`.keyformats`.
All of these match OpenSSL 3 (``openssl pkeyutl ... -pkeyopt distid:1234567812345678``).

Nonces always come from :mod:`secrets`; see :mod:`.curve` for why gmssl is wrapped.
"""

from __future__ import annotations

import hmac
import secrets
from typing import NoReturn

from . import curve, der, keyformats, pbes2
from .errors import DecryptionError, InvalidKey, InvalidSignature, MalformedData
from .pem import pem_encode
from .sm3 import SM3, sm3

DEFAULT_ID = b"1234567812345678"
# ENTL is a 16-bit count of ID bits (GB/T 32918.2 §5.5).
MAX_ID_LENGTH = 8191
DIGEST_SIZE = 32
_PRECOMPUTE_AFTER_USES = 64

_CURVE_BYTES = b"".join(v.to_bytes(32, "big") for v in (curve.A, curve.B, curve.GX, curve.GY))


def compute_z(public_key: SM2PublicKey, id: bytes = DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA), the signer's identity hash."""
    if len(id) > MAX_ID_LENGTH:
        raise ValueError(f"SM2 distinguishing ID must be at most {MAX_ID_LENGTH} bytes")
    entl = (len(id) * 8).to_bytes(2, "big")
    return sm3(
        entl
        + id
        + _CURVE_BYTES
        + public_key.x.to_bytes(32, "big")
        + public_key.y.to_bytes(32, "big")
    )


def _kdf(shared: bytes, length: int) -> bytes:
    """GB/T 32918.4 §5.4.3 KDF with SM3: Ha_i = SM3(Z ‖ ct_i), ct a 32-bit counter from 1."""
    out = bytearray()
    counter = 1
    while len(out) < length:
        out += sm3(shared + counter.to_bytes(4, "big"))
        counter += 1
    return bytes(out[:length])


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


class SM2PublicKey:
    """An SM2 public key: a validated point on the curve. Immutable and hashable."""

    __slots__ = ("_point", "_table", "_uses")

    def __init__(self, x: int, y: int) -> None:
        self._point = curve.check_public_point((x, y))
        self._table: curve.WindowTable | None = None
        self._uses = 0

    def _multiply(self, k: int) -> curve.Point:
        # A table costs about 40 plain multiplications to build, so only a key in steady use
        # (many verifications against one signer) earns one.
        if self._table is None:
            self._uses += 1
            if self._uses > _PRECOMPUTE_AFTER_USES:
                self._table = curve.WindowTable(self._point)
        return curve.multiply(k, self._point, self._table)

    @classmethod
    def from_bytes(cls, data: bytes) -> SM2PublicKey:
        """From an SEC1 point: 65 bytes ``04‖x‖y`` or 33 bytes ``02/03‖x``."""
        return cls(*keyformats.octets_to_point(bytes(data)))

    @property
    def x(self) -> int:
        return self._point[0]

    @property
    def y(self) -> int:
        return self._point[1]

    def to_bytes(self) -> bytes:
        """The 65-byte uncompressed point ``04‖x‖y``."""
        return keyformats.point_to_octets(self._point)

    def to_der(self) -> bytes:
        """DER SubjectPublicKeyInfo."""
        return keyformats.encode_spki(self._point)

    def to_pem(self) -> bytes:
        return pem_encode("PUBLIC KEY", self.to_der())

    def fingerprint(self) -> str:
        """The platform's key id: SM3 hex of the DER SubjectPublicKeyInfo."""
        return sm3(self.to_der()).hex()

    def z_value(self, id: bytes = DEFAULT_ID) -> bytes:
        return compute_z(self, id)

    def message_hasher(self, id: bytes = DEFAULT_ID) -> SM3:
        """An SM3 hasher already fed Z; feed the message, then sign/verify its ``digest()``."""
        return SM3(self.z_value(id))

    def message_digest(self, data: bytes, id: bytes = DEFAULT_ID) -> bytes:
        """e = SM3(Z ‖ M), what SM2 signs."""
        hasher = self.message_hasher(id)
        hasher.update(data)
        return hasher.digest()

    def verify_digest(self, digest: bytes, signature: bytes) -> bool:
        try:
            self._check_digest(digest, signature)
        except (InvalidSignature, MalformedData):
            return False
        return True

    def verify(self, data: bytes, signature: bytes, id: bytes = DEFAULT_ID) -> bool:
        return self.verify_digest(self.message_digest(data, id), signature)

    def verify_or_raise(self, data: bytes, signature: bytes, id: bytes = DEFAULT_ID) -> None:
        self._check_digest(self.message_digest(data, id), signature)

    def verify_digest_or_raise(self, digest: bytes, signature: bytes) -> None:
        self._check_digest(digest, signature)

    def _check_digest(self, digest: bytes, signature: bytes) -> None:
        # GB/T 32918.2 §7.1, steps B1-B7.
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"SM2 digest must be {DIGEST_SIZE} bytes, got {len(digest)}")
        try:
            r, s = der.decode_signature(signature)
        except MalformedData as exc:
            raise InvalidSignature(f"signature rejected: {exc}") from None
        if not (1 <= r < curve.N and 1 <= s < curve.N):
            raise InvalidSignature("signature rejected: r and s must lie in [1, n-1]")
        t = (r + s) % curve.N
        if t == 0:
            raise InvalidSignature("signature rejected: (r + s) mod n must not be 0")
        point = curve.add(curve.base_multiply(s), self._multiply(t))
        if point is None:
            raise InvalidSignature("signature rejected: s·G + t·P is the point at infinity")
        e = int.from_bytes(digest, "big")
        if (e + point[0]) % curve.N != r:
            raise InvalidSignature("signature does not match: (e + x1) mod n != r")

    def encrypt(self, plaintext: bytes) -> bytes:
        """Encrypt to GM/T 0009 DER (C1C3C2) with a fresh nonce from ``secrets``."""
        if not plaintext:
            raise ValueError("SM2 encryption needs at least one byte of plaintext")
        while True:
            k = secrets.randbelow(curve.N - 1) + 1
            result = _encrypt_with_nonce(self, plaintext, k)
            if result is not None:
                return result

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SM2PublicKey) and self._point == other._point

    def __hash__(self) -> int:
        return hash(("SM2PublicKey", self._point))

    def __repr__(self) -> str:
        return f"<SM2PublicKey fingerprint={self.fingerprint()[:16]}…>"


def _encrypt_with_nonce(public_key: SM2PublicKey, plaintext: bytes, k: int) -> bytes | None:
    """GB/T 32918.4 §6.1 with a given k; None when t is all zero (pick another k).

    Separate from ``encrypt`` only so the standard's fixed-k example can be tested.
    """
    x1, y1 = curve.base_multiply(k)
    x2, y2 = public_key._multiply(k)
    x2b, y2b = x2.to_bytes(32, "big"), y2.to_bytes(32, "big")
    t = _kdf(x2b + y2b, len(plaintext))
    if not any(t):
        return None
    c2 = _xor(plaintext, t)
    c3 = sm3(x2b + plaintext + y2b)
    return der.encode_ciphertext(x1, y1, c3, c2)


class SM2PrivateKey:
    """An SM2 private key. Its scalar never appears in ``repr``/``str`` or in any error."""

    __slots__ = ("_d", "_public")

    def __init__(self, d: int) -> None:
        self._d = curve.check_private_scalar(d)
        self._public = SM2PublicKey(*curve.base_multiply(d))

    def public_key(self) -> SM2PublicKey:
        return self._public

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign an already computed e = SM3(Z ‖ M) (see ``SM2PublicKey.message_hasher``)."""
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"SM2 digest must be {DIGEST_SIZE} bytes, got {len(digest)}")
        engine = curve.engine_for_private_scalar(self._d)
        while True:
            # gmssl's own nonce comes from `random`; a CSPRNG nonce is mandatory.
            k = secrets.randbelow(curve.N - 1) + 1
            rs_hex = engine.sign(digest, f"{k:064x}")
            if rs_hex is not None:  # gmssl returns None when r = 0, r + k = n or s = 0
                return der.encode_signature(int(rs_hex[:64], 16), int(rs_hex[64:], 16))

    def sign(self, data: bytes, id: bytes = DEFAULT_ID) -> bytes:
        """DER SM2 signature of ``data`` with a fresh nonce; verifies with OpenSSL's SM2/SM3."""
        return self.sign_digest(self._public.message_digest(data, id))

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Decrypt GM/T 0009 DER (C1C3C2); raise DecryptionError if C3 does not match."""
        # GB/T 32918.4 §7.1, steps B1-B7.
        x1, y1, c3, c2 = der.decode_ciphertext(ciphertext)
        try:
            c1 = curve.check_public_point((x1, y1))
        except InvalidKey:
            # An off-curve C1 is the invalid-curve attack on d; never multiply it.
            raise DecryptionError("SM2 ciphertext rejected: C1 is not on the SM2 curve") from None
        x2, y2 = curve.multiply(self._d, c1)
        x2b, y2b = x2.to_bytes(32, "big"), y2.to_bytes(32, "big")
        t = _kdf(x2b + y2b, len(c2))
        if not any(t):
            raise DecryptionError("SM2 ciphertext rejected: the KDF output is all zero")
        plaintext = _xor(c2, t)
        if not hmac.compare_digest(sm3(x2b + plaintext + y2b), c3):
            raise DecryptionError(
                "SM2 decryption failed: C3 does not match SM3(x2 ‖ M ‖ y2) "
                "(wrong key or modified ciphertext)"
            )
        return plaintext

    def to_der(self) -> bytes:
        """Unencrypted PKCS#8 DER."""
        return keyformats.encode_private_key_info(self._d, self._public._point)

    def to_pem(
        self, password: bytes | None = None, *, iterations: int = pbes2.DEFAULT_ITERATIONS
    ) -> bytes:
        """PKCS#8 PEM; with a password, PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC)."""
        return keyformats.encode_private_key_pem(self._d, self._public._point, password, iterations)

    def __repr__(self) -> str:
        return f"<SM2PrivateKey public fingerprint={self._public.fingerprint()[:16]}…>"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickles end up in caches and task queues; a private key must not travel that way.
        raise TypeError("SM2PrivateKey cannot be pickled; store it as encrypted PEM instead")


def _sign_digest_with_nonce(private_key: SM2PrivateKey, digest: bytes, k: int) -> tuple[int, int]:
    """Sign with a given k. Only for the standard's fixed-k example: a reused k leaks d."""
    rs_hex = curve.engine_for_private_scalar(private_key._d).sign(digest, f"{k:064x}")
    if rs_hex is None:
        raise ValueError("this k gives r = 0, r + k = n or s = 0")
    return int(rs_hex[:64], 16), int(rs_hex[64:], 16)


def generate_private_key() -> SM2PrivateKey:
    """A new key with d drawn uniformly from [1, n-2] by ``secrets``."""
    return SM2PrivateKey(secrets.randbelow(curve.N - 2) + 1)


def load_private_key(data: bytes, password: bytes | None = None) -> SM2PrivateKey:
    """Load PKCS#8 (plain or encrypted) or SEC1, PEM or DER.

    Raises WrongPassword (missing or wrong password), NotSM2Key (another algorithm or
    curve) or InvalidKey (anything else wrong).
    """
    d, point = keyformats.read_private_key(bytes(data), password)
    key = SM2PrivateKey(d)
    if point is not None and point != key._public._point:
        raise InvalidKey(
            "SM2 private key rejected: the stored public key does not match the scalar"
        )
    return key


def load_public_key(data: bytes) -> SM2PublicKey:
    """Load a SubjectPublicKeyInfo or an X.509 certificate, PEM or DER."""
    return SM2PublicKey(*keyformats.read_public_key(bytes(data)))


def load_public_key_with_certificate(data: bytes) -> tuple[SM2PublicKey, bytes | None]:
    """Load a public key as :func:`load_public_key` does, and the certificate it came from
    as PEM (None for a bare public key). Only that certificate, re-armored: whatever else
    the file held (other blocks, a private key, text, NUL bytes) is not returned."""
    point, certificate = keyformats.read_public_key_source(bytes(data))
    pem = pem_encode("CERTIFICATE", certificate) if certificate is not None else None
    return SM2PublicKey(*point), pem


def load_public_key_from_certificate(data: bytes) -> SM2PublicKey:
    """The subject's SM2 public key from an X.509 certificate (PEM or DER)."""
    return SM2PublicKey(*keyformats.read_public_key(bytes(data), certificate_only=True))
