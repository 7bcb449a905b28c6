"""Benchmark sealed bids (ggzy_core.gm.envelope) against ``openssl speed``, in the same run.

    .venv/bin/python -m bench.bench_seal [--json] [--size-mb 256] [--seconds 2]

Seals one file of random data (written to a temporary directory first) into a ``.gbid``
on disk, verifies it as the server does (one streaming pass, no key) and unseals it as the
bidder does. The baseline is ``openssl speed -evp sm4-ctr -bytes 16384``: sealing does
strictly more work per byte (SM4-GCM, two SM3s, tar, file I/O), so the ratio says how close
the whole pipeline gets to bare SM4. Target: seal >= 0.7x. MB = 10^6 bytes, as openssl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_gm import openssl_throughput, openssl_version
from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    DEFAULT_CHUNK_SIZE,
    ClientInfo,
    Recipient,
    seal,
    unseal,
    unwrap_content_key,
    verify,
)

MIB = 1 << 20
TARGET_RATIO = 0.7
_CREDIT_CODE = "91350100M000100Y43"
_CLIENT = ClientInfo("00" * 32, (), "00000000-0000-8000-8000-000000000000", "bench")


def _write_random(path: Path, size_mb: int) -> None:
    with path.open("wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(MIB))


def _seal(
    source: Path, target: Path, key: sm2.SM2PrivateKey, opening: sm2.SM2PublicKey, chunk_size: int
) -> int:
    with target.open("wb") as out:
        result = seal(
            out=out,
            files=[source],
            sheet={"price": "12345678.90", "duration_days": 365},
            section_id=1,
            section_code="BENCH-01",
            bidder_credit_code=_CREDIT_CODE,
            signing_key=key,
            recipients=[Recipient("opening", opening)],
            client=_CLIENT,
            chunk_size=chunk_size,
        )
    return result.size


def _timed(operation: Any) -> float:
    start = time.perf_counter()
    operation()
    return time.perf_counter() - start


def run(size_mb: int, seconds: int, chunk_size: int) -> dict[str, Any]:
    key = sm2.generate_private_key()
    opening = sm2.generate_private_key()
    with tempfile.TemporaryDirectory(prefix="ggzy-bench-seal-") as tmp:
        root = Path(tmp)
        source, sealed, small = root / "bid.bin", root / "bid.gbid", root / "small.txt"
        _write_random(source, size_mb)
        small.write_text("a short bid")
        total = size_mb * MIB
        # Fixed cost of one envelope (SM2: two wraps and a signature), measured on a tiny one.
        small_seconds = _timed(
            lambda: _seal(small, root / "small.gbid", key, opening.public_key(), chunk_size)
        )
        seal_seconds = _timed(lambda: _seal(source, sealed, key, opening.public_key(), chunk_size))
        envelope_size = sealed.stat().st_size
        with sealed.open("rb") as handle:
            verify_seconds = _timed(lambda: verify(handle, key.public_key()))
        with sealed.open("rb") as handle:
            content_key = unwrap_content_key(verify(handle).manifest, opening)
        with sealed.open("rb") as handle:
            unseal_seconds = _timed(
                lambda: unseal(handle, content_key, root / "out", signer=key.public_key())
            )
    baseline = openssl_throughput("sm4-ctr", seconds)
    return {
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "openssl_cli": openssl_version(),
            "input_bytes": total,
            "envelope_bytes": envelope_size,
            "chunk_bytes": chunk_size,
        },
        "throughput_bytes_per_s": {
            "seal": total / seal_seconds,
            "verify": envelope_size / verify_seconds,
            "unseal": total / unseal_seconds,
            "openssl_sm4_ctr": baseline,
        },
        "small_envelope_seal_s": small_seconds,
    }


def format_table(results: dict[str, Any]) -> str:
    env, tp = results["environment"], results["throughput_bytes_per_s"]
    baseline = tp["openssl_sm4_ctr"]
    lines = [
        f"ggzy_core.gm.envelope benchmark — {env['input_bytes'] // MIB} MiB of random data, "
        f"{env['chunk_bytes'] // 1024} KiB chunks, files on disk",
        f"  openssl CLI: {env['openssl_cli']}; python {env['python']} on {env['machine']}, "
        f"{env['cpus']} CPUs",
        "",
        f"{'operation':44} {'MB/s':>8} {'vs openssl sm4-ctr':>20}",
    ]
    rows = [
        ("seal (tar + SM4-GCM + 2×SM3 + write)", tp["seal"], TARGET_RATIO),
        ("verify (server: structure + SM3 + signature)", tp["verify"], None),
        ("unseal (SM4-GCM + SM3 + untar + write)", tp["unseal"], None),
    ]
    for name, rate, target in rows:
        ratio = f"{rate / baseline:5.2f}x" if baseline else "  n/a"
        verdict = ""
        if target and baseline:
            verdict = "ok" if rate / baseline >= target else f"below {target}x target"
        lines.append(f"{name:44} {rate / 1e6:8.1f} {ratio:>20}  {verdict}")
    base = f"{baseline / 1e6:8.1f}" if baseline else "     n/a"
    lines.append(f"{'openssl speed -evp sm4-ctr (16 KiB blocks)':44} {base}")
    lines.append("")
    lines.append(
        f"fixed cost of sealing a tiny bid (2 SM2 wraps + 1 signature): "
        f"{results['small_envelope_seal_s'] * 1000:.1f} ms"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--size-mb", type=int, default=256, help="MiB to seal (default 256)")
    parser.add_argument("--seconds", type=int, default=2, help="seconds for openssl speed")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    args = parser.parse_args(argv)
    results = run(args.size_mb, args.seconds, args.chunk_size)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
