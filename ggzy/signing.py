"""The platform's SM2 signing key: signs receipts, ledger checkpoints and opening records.

Loaded once per process from ``settings.PLATFORM_SIGNING_KEY_FILE``. In DEBUG a missing key
file is generated (mode 0600) so the embedded demo needs no set-up; with DEBUG off settings
already refused to start without one.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ggzy_core.gm import sm2


@functools.cache
def platform_private_key() -> sm2.SM2PrivateKey:
    path = Path(settings.PLATFORM_SIGNING_KEY_FILE)
    password = settings.PLATFORM_SIGNING_KEY_PASSWORD.encode() or None
    if not path.exists() and settings.DEBUG:
        _generate_key_file(path, password)
    if not path.is_file():
        # Reached by the read-only ledger commands, which start without the server's checks.
        raise ImproperlyConfigured(
            f"平台签名密钥不存在：{path}。请设置 PLATFORM_SIGNING_KEY_FILE 为本平台的 SM2 私钥"
            f" / No platform signing key at {path}: set PLATFORM_SIGNING_KEY_FILE to this"
            " installation's SM2 private key PEM (the demo's is var/keys/platform-signing.pem,"
            " made by `make demo`)."
        )
    return sm2.load_private_key(path.read_bytes(), password=password)


def _generate_key_file(path: Path, password: bytes | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = sm2.generate_private_key().to_pem(password=password)
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def platform_public_key() -> sm2.SM2PublicKey:
    return platform_private_key().public_key()


def platform_sign(data: bytes) -> bytes:
    """DER SM2 signature (ID 1234567812345678) of ``data`` by the platform key."""
    return platform_private_key().sign(data)
