"""Upload of a large sealed bid through daphne: throughput against a plain local copy of the
same file (measured in the same run), and how much daphne's peak RSS grows.

    python -m bench.bench_upload [--size-mb 1024] [--json]

Everything runs on embedded defaults in a temporary directory (SQLite, file storage): the
bench creates the organisations, keys and a section open for bids, seals a bid of the given
size, starts daphne, uploads with ``ggzy-bid submit`` (16 MiB PATCHes), and reads daphne's
VmHWM (peak resident set) from /proc before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import setup

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 16 << 20


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _setup(work: Path) -> tuple[str, str, str]:
    """Organisations, keys, a section open for bids; returns (section code, token, section
    id) and leaves the bidder's key and the opening key in ``work``."""
    setup.django_setup()
    from accounts import services as accounts

    parties = setup.parties(1)
    bidder = parties.bidders[0]
    (work / "bidder.pem").write_bytes(bidder.key.to_pem())
    section = setup.section_for_bids(parties)
    (work / "opening.pem").write_text(section.opening_key_pem)
    _token, raw = accounts.token_issue(person=bidder.person)
    setup.close_connections()
    return section.code, raw, str(section.pk)


def _run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with setup.scratch("upload", postgres=False) as (work, _database):
        env = dict(os.environ)  # what scratch set: SQLite in work, no REDIS_URL
        code, token, section_id = _setup(work)
        payload = work / "proposal.bin"
        with payload.open("wb") as handle:
            for _ in range(args.size_mb):
                handle.write(os.urandom(1 << 20))
        sheet = work / "sheet.json"
        sheet.write_text(json.dumps({"price": "1000.00"}))
        bid = work / "bid.gbid"
        cli = [sys.executable, "-m", "ggzy_bid.cli"]
        seal_seconds = _run(
            [
                *cli,
                "seal",
                "--section-id",
                section_id,
                "--section-code",
                code,
                "--credit-code",
                setup.credit_code(4),
                "--key",
                str(work / "bidder.pem"),
                "--opening-key",
                str(work / "opening.pem"),
                "--sheet",
                str(sheet),
                str(payload),
                "--out",
                str(bid),
            ],
            env,
        )
        size = bid.stat().st_size
        started = time.perf_counter()
        shutil.copyfile(bid, work / "copy.gbid")
        copy_seconds = time.perf_counter() - started
        (work / "copy.gbid").unlink()

        from tests import servers

        with servers.daphne(work) as server:
            before = _peak_rss_kib(server.process.pid)
            upload_seconds = _run(
                [
                    *cli,
                    "submit",
                    str(bid),
                    "--section",
                    code,
                    "--chunk-size",
                    str(CHUNK),
                    "--server",
                    server.url,
                    "--token",
                    token,
                ],
                env,
            )
            after = _peak_rss_kib(server.process.pid)
    mb = size / 1e6
    results = {
        "bid_mb": round(mb, 1),
        "seal_mb_s": round(mb / seal_seconds, 1),
        "upload_mb_s": round(mb / upload_seconds, 1),
        "local_copy_mb_s": round(mb / copy_seconds, 1),
        "upload_vs_copy": round(copy_seconds / upload_seconds, 3),
        "daphne_peak_rss_before_mb": round(before / 1024, 1),
        "daphne_peak_rss_after_mb": round(after / 1024, 1),
        "daphne_peak_rss_growth_mb": round((after - before) / 1024, 1),
    }
    if args.json:
        print(json.dumps(results))
        return
    print(
        f"upload of a {mb:.0f} MB sealed bid through daphne (16 MiB PATCHes, SQLite, file storage)"
    )
    print(f"  upload (incl. verification)  {results['upload_mb_s']:>8} MB/s")
    print(
        f"  plain local copy             {results['local_copy_mb_s']:>8} MB/s  (baseline, same run)"
    )
    print(f"  ratio                        {results['upload_vs_copy']:>8}x")
    print(
        f"  daphne peak RSS growth       {results['daphne_peak_rss_growth_mb']:>8} MB "
        f"({results['daphne_peak_rss_before_mb']} → {results['daphne_peak_rss_after_mb']} MB)"
    )
    print(f"  (sealing it took {seal_seconds:.1f} s: {results['seal_mb_s']} MB/s)")


if __name__ == "__main__":
    main()
