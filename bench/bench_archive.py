"""Offline archive verification (``ggzy_core.archive.verify``) against the plain tools in the
same run: ``openssl dgst -sm3`` and ``sha256sum`` over the same files, unpacked.

The package holds a contract-sized file (incompressible, ``--mb``), a few hundred small
signed documents (receipts, notices) and a ledger slice of ``--entries`` lines: what a busy
section's archive carries. Verification checks every file's size, SHA-256 and SM3, every
signature, the ledger's digests and the manifest's signature; the baseline only hashes.

    .venv/bin/python -m bench.bench_archive [--mb 64] [--documents 300] [--entries 5000]
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess  # nosec B404 # the baseline is the openssl and sha256sum commands
import tempfile
import time
import zipfile
from pathlib import Path

from ggzy_core import archive
from ggzy_core.gm import sm2

DOMAIN = b"ggzy-receipt\n"


def build(mb: int, documents: int, entries: int) -> bytes:
    key = sm2.generate_private_key()
    files = [
        archive.Document(
            path="contract/contract.pdf", kind="contract-file", data=os.urandom(mb << 20)
        )
    ]
    for index in range(documents):
        body = f'{{"format":"ggzy-receipt/1","n":{index},"pad":"{"x" * 600}"}}'.encode()
        files.append(
            archive.Document(
                path=f"receipts/{index:04d}.json",
                kind="receipt",
                data=body,
                domain=DOMAIN,
                signature=key.sign(DOMAIN + body),
            )
        )
    lines = [
        archive.slice_line(
            {
                "recorded_at": f"2026-12-01T00:00:{index % 60:02d}Z",
                "action": "bench.entry",
                "actor": {"name": "bench"},
                "data": {"n": index},
                "embargo": None,
                "network_address": None,
                "target": {"type": "bench", "id": str(index)},
            },
            full=False,
        )
        for index in range(entries)
    ]
    return archive.pack(
        section={"code": "BENCH-001"},
        sealed_at="2026-12-01T00:00:00Z",
        retain_until="2041-12-01",
        documents=files,
        entries=lines,
        checkpoints=[],
        public_key=key.public_key(),
        sign=key.sign,
    )


def baseline(data: bytes) -> float:
    """Unpack, then time openssl's SM3 and sha256sum over every file."""
    with tempfile.TemporaryDirectory() as folder:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            package.extractall(folder)
        names = sorted(str(path) for path in Path(folder).rglob("*") if path.is_file())
        start = time.perf_counter()
        subprocess.run(["openssl", "dgst", "-sm3", *names], check=True, capture_output=True)  # nosec B603 B607
        subprocess.run(["sha256sum", *names], check=True, capture_output=True)  # nosec B603 B607
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = build(args.mb, args.documents, args.entries)
    ours, theirs = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        verdict = archive.verify(data)
        ours.append(time.perf_counter() - start)
        if not verdict.ok:
            raise SystemExit(f"the bench archive does not verify: {verdict}")
        theirs.append(baseline(data))
    best, base = min(ours), min(theirs)
    print(
        f"archive: {len(data) / 2**20:.1f} MiB, {args.documents} signed documents, "
        f"{args.entries} ledger lines"
    )
    print(f"verify_archive: {best:.2f} s   openssl dgst -sm3 + sha256sum: {base:.2f} s")
    print(f"ratio (verify / plain hashing): {best / base:.2f}x")


if __name__ == "__main__":
    main()
