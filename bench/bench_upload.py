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
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 16 << 20


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _setup(work: Path) -> tuple[str, str, str]:
    """Organisations, keys, a section open for bids; returns (section code, token, key path)."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from accounts import services as accounts
    from accounts.credit_code import with_check_character
    from ggzy import clock
    from ggzy.gm import sm2
    from trading import chronograph, documents
    from trading import services as trading
    from trading.models import Category, EvaluationMethod

    call_command("migrate", verbosity=0)
    people = {}
    for index, kind in enumerate(["centre", "regulator", "tenderee", "bidder"], start=1):
        person = accounts.organisation_register(
            name=f"bench {kind}",
            credit_code=with_check_character(f"91320100MA9B0000{index}"),
            kind=kind,
            legal_representative="bench",
            admin_username=kind,
            admin_password="bench-password-2026!",
            actor=None if kind in ("tenderee", "bidder") else _superuser(),
        )
        key = sm2.generate_private_key()
        (work / f"{kind}.pem").write_bytes(key.to_pem())
        assert person.organisation is not None
        accounts.key_bind(
            organisation=person.organisation, actor=person, key_data=key.public_key().to_pem()
        )
        people[kind] = person
    centre, regulator = people["centre"].organisation, people["regulator"].organisation
    assert centre is not None and regulator is not None
    project = trading.project_create(
        actor=people["tenderee"], code="BENCH-1", name="bench", centre=centre, regulator=regulator
    )
    now = clock.now()
    section = trading.section_create(
        project=project,
        actor=people["tenderee"],
        name="bench",
        category=Category.GOODS,
        estimated_price=10**9,
        bid_deposit=0,
        documents_from=now,
        bid_deadline=now + dt.timedelta(days=21),
        evaluation_method=EvaluationMethod.LOWEST_PRICE,
    )
    documents.document_issue(
        section=section,
        actor=people["tenderee"],
        title="t",
        upload=SimpleUploadedFile("t.txt", b"t"),
    )
    trading.section_publish(section=section, actor=people["tenderee"])
    chronograph.apply_time_events(section.pk)
    section.refresh_from_db()
    (work / "opening.pem").write_text(section.opening_key_pem)
    _token, raw = accounts.token_issue(person=people["bidder"])
    from django.db import connections

    connections.close_all()
    return section.code, raw, str(section.pk)


def _superuser() -> Any:
    from accounts.models import Person

    return Person.objects.filter(is_superuser=True).first() or Person.objects.create_superuser(
        "bench-admin", "", "bench-password-2026!"
    )


def _run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ggzy-bench-upload-"))
    env = {
        **os.environ,
        "DEBUG": "true",
        "GGZY_VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "XDG_CONFIG_HOME": str(work),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: v for k, v in env.items() if k != "REDIS_URL"})
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ggzy.settings")
    try:
        code, token, section_id = _setup(work)
        payload = work / "proposal.bin"
        with payload.open("wb") as handle:
            for _ in range(args.size_mb):
                handle.write(os.urandom(1 << 20))
        sheet = work / "sheet.json"
        sheet.write_text(json.dumps({"price": "1000.00"}))
        bid = work / "bid.gbid"
        cli = [sys.executable, "-m", "bidding.client.cli"]
        seal_seconds = _run(
            [
                *cli,
                "seal",
                "--section-id",
                section_id,
                "--section-code",
                code,
                "--credit-code",
                _credit_code(),
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
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


def _credit_code() -> str:
    from accounts.credit_code import with_check_character

    return with_check_character("91320100MA9B00004")


if __name__ == "__main__":
    main()
