"""Benchmark ggzy_core.gm against the ``openssl`` command, measured in the same run.

    .venv/bin/python -m bench.bench_gm [--json] [--size-mb 256] [--seconds 2]

Baselines: ``openssl speed -evp sm4-ctr`` (the CLI of OpenSSL 3.0 has no SM4-GCM, and GCM
is CTR plus GHASH, so CTR is the honest upper bound), ``openssl speed -evp sm3`` and
``openssl speed sm2``. Throughput is in MB/s with MB = 10^6 bytes, as openssl reports.
The target is >= 0.8x OpenSSL for SM4 and SM3. SM2 runs in pure Python (gmssl's point
arithmetic), so its ratio is expected to be far below 1; the numbers say by how much.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.backends.openssl import backend as _crypto_backend

from ggzy_core.gm import curve, sm2
from ggzy_core.gm.errors import DecryptionError
from ggzy_core.gm.sm3 import SM3
from ggzy_core.gm.sm4 import GCMDecryptor, GCMEncryptor, new_key, new_nonce

CHUNK = 1 << 20
TARGET_RATIO = 0.8


# --- openssl baselines -----------------------------------------------------------------------


def _openssl_speed(args: list[str], timeout: float) -> str | None:
    if shutil.which("openssl") is None:
        return None
    try:
        result = subprocess.run(
            ["openssl", "speed", "-mr", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return result.stdout if result.returncode == 0 else None


def openssl_throughput(algorithm: str, seconds: int) -> float | None:
    """Bytes per second for 16 KiB blocks; ``-mr`` prints ``+F:n:ALG:bytes_per_second``."""
    out = _openssl_speed(
        ["-evp", algorithm, "-seconds", str(seconds), "-bytes", "16384"], seconds * 4 + 30
    )
    match = re.search(r"^\+F:\d+:[^:]+:([\d.]+)", out or "", re.MULTILINE)
    return float(match.group(1)) if match else None


def openssl_sm2(seconds: int) -> tuple[float, float] | None:
    """(sign/s, verify/s); ``-mr`` prints ``+F7:0:256:CurveSM2:sign:verify``."""
    out = _openssl_speed(["-seconds", str(seconds), "sm2"], seconds * 4 + 60)
    match = re.search(r"^\+F\d+:\d+:256:CurveSM2:([\d.]+):([\d.]+)", out or "", re.MULTILINE)
    return (float(match.group(1)), float(match.group(2))) if match else None


def openssl_version() -> str:
    if shutil.which("openssl") is None:
        return "not installed"
    result = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=False)
    return result.stdout.strip()


# --- ggzy_core.gm ---------------------------------------------------------------------------------


def measure_sm4_gcm(total: int) -> tuple[float, float]:
    """(encrypt, decrypt) bytes/s, streaming ``total`` bytes in 1 MiB chunks into one buffer."""
    key, nonce, chunk = new_key(), new_nonce(), os.urandom(CHUNK)
    out = bytearray(CHUNK + 15)
    rounds = max(1, total // CHUNK)

    enc = GCMEncryptor(key, nonce, b"manifest")
    start = time.perf_counter()
    for _ in range(rounds):
        enc.update_into(chunk, out)
    tag = enc.finalize()
    encrypt_rate = rounds * CHUNK / (time.perf_counter() - start)

    dec = GCMDecryptor(key, nonce, b"manifest")
    start = time.perf_counter()
    for _ in range(rounds):
        dec.update_into(chunk, out)
    # The "ciphertext" is random, so the tag check fails; only the speed matters here.
    with contextlib.suppress(DecryptionError):
        dec.finalize(tag)
    decrypt_rate = rounds * CHUNK / (time.perf_counter() - start)
    return encrypt_rate, decrypt_rate


def measure_sm3(total: int) -> float:
    chunk = os.urandom(CHUNK)
    rounds = max(1, total // CHUNK)
    hasher = SM3()
    start = time.perf_counter()
    for _ in range(rounds):
        hasher.update(chunk)
    hasher.digest()
    return rounds * CHUNK / (time.perf_counter() - start)


def _ops_per_second(operation: Callable[[], object], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        operation()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def measure_sm2(seconds: float) -> dict[str, float]:
    start = time.perf_counter()
    curve.warm_up()
    table_seconds = time.perf_counter() - start
    key = sm2.generate_private_key()
    public = key.public_key()
    message = b"opening record " * 20
    signature = key.sign(message)
    ciphertext = public.encrypt(os.urandom(16))
    steady = sm2.SM2PublicKey(public.x, public.y)
    for _ in range(70):  # past the threshold at which a key in steady use gets its table
        steady.verify(message, signature)
    return {
        "k_g_table_build_s": table_seconds,
        "keygen": _ops_per_second(sm2.generate_private_key, seconds),
        "sign": _ops_per_second(lambda: key.sign(message), seconds),
        # A fresh key object each time: what verifying one signature from a new signer costs.
        "verify_new_key": _ops_per_second(
            lambda: sm2.SM2PublicKey(public.x, public.y).verify(message, signature), seconds
        ),
        "verify_steady_key": _ops_per_second(lambda: steady.verify(message, signature), seconds),
        "encrypt_16B": _ops_per_second(lambda: public.encrypt(b"0123456789abcdef"), seconds),
        "decrypt_16B": _ops_per_second(lambda: key.decrypt(ciphertext), seconds),
    }


# --- report ----------------------------------------------------------------------------------


def run(size_mb: int, seconds: int) -> dict[str, Any]:
    total = size_mb * CHUNK
    gcm_encrypt, gcm_decrypt = measure_sm4_gcm(total)
    ours_sm3 = measure_sm3(total)
    ossl_sm4 = openssl_throughput("sm4-ctr", seconds)
    ossl_sm3 = openssl_throughput("sm3", seconds)
    ossl_sm2 = openssl_sm2(seconds)
    ours_sm2 = measure_sm2(seconds)
    return {
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "openssl_cli": openssl_version(),
            "cryptography_openssl": _crypto_backend.openssl_version_text(),
            "stream_bytes": total,
            "chunk_bytes": CHUNK,
        },
        "throughput_bytes_per_s": {
            "ggzy_sm4_gcm_encrypt": gcm_encrypt,
            "ggzy_sm4_gcm_decrypt": gcm_decrypt,
            "ggzy_sm3": ours_sm3,
            "openssl_sm4_ctr": ossl_sm4,
            "openssl_sm3": ossl_sm3,
        },
        "sm2_ops_per_s": {
            **{f"ggzy_{name}": value for name, value in ours_sm2.items()},
            "openssl_sign": ossl_sm2[0] if ossl_sm2 else None,
            "openssl_verify": ossl_sm2[1] if ossl_sm2 else None,
        },
    }


def _ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:5.2f}x" if theirs else "  n/a"


def _verdict(ours: float, theirs: float | None) -> str:
    if not theirs:
        return ""
    return "ok" if ours / theirs >= TARGET_RATIO else f"below {TARGET_RATIO}x target"


def format_table(results: dict[str, Any]) -> str:
    env = results["environment"]
    tp = results["throughput_bytes_per_s"]
    ops = results["sm2_ops_per_s"]
    mb = 1e6
    lines = [
        f"ggzy_core.gm benchmark — {env['stream_bytes'] // CHUNK} MiB streamed in 1 MiB chunks",
        f"  openssl CLI: {env['openssl_cli']}; cryptography: {env['cryptography_openssl']}",
        f"  python {env['python']} on {env['machine']}, {env['cpus']} CPUs",
        "",
        f"{'operation':34} {'ggzy_core.gm':>12} {'openssl CLI baseline':>28} {'ratio':>7}",
    ]
    rows = [
        ("SM4-GCM encrypt", tp["ggzy_sm4_gcm_encrypt"], "sm4-ctr", tp["openssl_sm4_ctr"]),
        ("SM4-GCM decrypt", tp["ggzy_sm4_gcm_decrypt"], "sm4-ctr", tp["openssl_sm4_ctr"]),
        ("SM3", tp["ggzy_sm3"], "sm3", tp["openssl_sm3"]),
    ]
    for name, ours, base_name, theirs in rows:
        base = f"{base_name} {theirs / mb:8.1f} MB/s" if theirs else "n/a"
        lines.append(
            f"{name:34} {ours / mb:7.1f} MB/s {base:>28} {_ratio(ours, theirs):>7}"
            f"  {_verdict(ours, theirs)}"
        )
    lines.append("")
    sm2_rows = [
        ("SM2 keygen", ops["ggzy_keygen"], None),
        ("SM2 sign", ops["ggzy_sign"], ops["openssl_sign"]),
        ("SM2 verify (new key object)", ops["ggzy_verify_new_key"], ops["openssl_verify"]),
        ("SM2 verify (key in steady use)", ops["ggzy_verify_steady_key"], ops["openssl_verify"]),
        ("SM2 encrypt 16 B", ops["ggzy_encrypt_16B"], None),
        ("SM2 decrypt 16 B", ops["ggzy_decrypt_16B"], None),
    ]
    for name, ours, theirs in sm2_rows:
        base = f"{theirs:10.1f} ops/s" if theirs else "(no openssl speed figure)"
        lines.append(f"{name:34} {ours:7.1f} op/s {base:>28} {_ratio(ours, theirs):>7}")
    lines.append(f"{'(k·G window table, built once)':34} {ops['ggzy_k_g_table_build_s']:7.3f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--size-mb", type=int, default=256, help="MiB to stream (default 256)")
    parser.add_argument("--seconds", type=int, default=2, help="seconds per timed run (default 2)")
    args = parser.parse_args(argv)
    results = run(args.size_mb, args.seconds)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
