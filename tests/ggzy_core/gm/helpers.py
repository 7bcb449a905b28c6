"""Shared helpers for the national-crypto tests (plain functions: no conftest needed)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest

from ggzy_core.gm import sm2
from tests import tools

# GB/T 32918.5-2017 Annex A (recommended curve): the key, nonce and expected values.
STANDARD_PRIVATE_SCALAR = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
STANDARD_PUBLIC_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
STANDARD_PUBLIC_Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
STANDARD_NONCE = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21

# Keeps encrypted-key tests fast where the iteration count is not what is being tested.
FAST_ITERATIONS = 1000


@functools.cache
def openssl_supports_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "SM2"], capture_output=True, check=False
    )
    return probe.returncode == 0 and b"PRIVATE KEY" in probe.stdout


requires_openssl = tools.requires(
    openssl_supports_sm2(),
    "needs the openssl command with SM2 support (OpenSSL 3, apt-get install openssl)",
)


def openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run ``openssl`` and return stdout; fail the test with stderr if it fails."""
    result = subprocess.run(
        ["openssl", *map(str, args)], input=stdin, capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"openssl {' '.join(map(str, args))} failed: {result.stderr.decode()}")
    return result.stdout


def openssl_status(*args: str | Path) -> tuple[int, str]:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)
    return result.returncode, (result.stdout + result.stderr).decode()


def key_with_x_hex_prefix(prefix: str, attempts: int = 20_000) -> sm2.SM2PrivateKey:
    """Generate keys until the public x-coordinate's 64-char hex starts with ``prefix``."""
    for _ in range(attempts):
        key = sm2.generate_private_key()
        if f"{key.public_key().x:064x}".startswith(prefix):
            return key
    raise AssertionError(f"no key with x starting {prefix!r} in {attempts} attempts")


def secret_renderings(key: sm2.SM2PrivateKey) -> list[str]:
    """Every way the private scalar could plausibly show up in text."""
    d = key._d
    return [f"{d:064x}", f"{d:064X}", str(d), f"{d:x}"]
