"""Upload of a large sealed bid through daphne, against a bare ASGI endpoint on daphne that
streams the same bytes to a file over loopback, driven by the same client, in the same run.

    python -m bench.bench_upload [--size-mb 1024] [--json]

Everything runs on embedded defaults in a temporary directory (SQLite, file storage): the
bench creates the organisations, keys and a section open for bids, seals a bid of the given
size, starts daphne, uploads with ``ggzy-bid submit`` (16 MiB PATCHes) and reads daphne's
VmHWM (peak resident set) from /proc before and after.

ggzy's side is end to end: the client's SM3 pass over the file (its idempotency key), its
checks before uploading, the tus requests, and on the server authentication, the running SM3,
the part written to storage, and on the last byte the envelope's verification (structure,
sizes, the bidder's SM2 signature), the bid filed and the receipt signed.

The bare side (``bare_application`` below, no Django) is the same tus loop of the same client
(``ggzy_bid.server.upload``: POST, then HEAD + 16 MiB PATCH until done) against an ASGI app
that only appends each body message to a file: no hashing, no authentication, no database,
no verification. It runs twice, before and after ggzy, and the better run is the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import setup

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 16 << 20
# The ports this bench's servers listen on (the machine's other users keep theirs).
GGZY_PORT = int(os.environ.get("BENCH_UPLOAD_PORT", "57001"))
BARE_PORT = GGZY_PORT + 1

Message = MutableMapping[str, Any]


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


# The bare endpoint: uploads are numbered files in BARE_UPLOAD_DIR; offsets are file sizes.
_BARE_PATH = re.compile(r"^/uploads/(\d+)$")


async def bare_application(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Just enough tus for ``ggzy_bid.server.upload``; a PATCH body goes to the file as each
    ASGI message arrives."""
    if scope["type"] != "http":
        return
    folder = Path(os.environ["BARE_UPLOAD_DIR"])
    headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
    answer: dict[str, str] = {}
    status = 204
    match = _BARE_PATH.match(scope["path"])
    if scope["method"] == "POST":
        number = len(list(folder.glob("*.len"))) + 1
        (folder / f"{number}.len").write_text(headers["upload-length"])
        (folder / f"{number}.bin").touch()
        status, answer = 201, {"Location": f"/uploads/{number}", "Upload-Offset": "0"}
    elif match is not None:
        part = folder / f"{match[1]}.bin"
        length = int((folder / f"{match[1]}.len").read_text())
        if scope["method"] == "PATCH":
            with part.open("ab") as handle:
                while True:
                    message = await receive()
                    handle.write(message.get("body", b""))
                    if not message.get("more_body", False):
                        break
        offset = part.stat().st_size
        status = 200 if scope["method"] == "HEAD" else 204
        answer = {"Upload-Offset": str(offset), "Upload-Length": str(length)}
        if offset == length:
            answer["Ggzy-Bid"] = "bare"
    else:
        status = 200  # anything else: "I am up"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in answer.items()],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _bare_client(url: str, path: str) -> None:
    """The bare side's client: ggzy-bid's own tus loop, 16 MiB PATCHes."""
    from ggzy_bid import server

    with open(path, "rb") as source:
        server.upload(
            server.Session(server.Server(url=url)),
            source,
            length=os.path.getsize(path),
            section="bare",
            idempotency_key="bare-upload",
            chunk_size=CHUNK,
        )


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


@contextmanager
def _daphne(app: str, port: int, env: dict[str, str], log: Path, probe: str) -> Iterator[int]:
    """daphne serving ``app`` on ``port``; yields its process id."""
    from tests import servers

    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), app],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            servers.wait_until_answering(
                f"http://127.0.0.1:{port}", process, log, timeout=240, path=probe
            )
            yield process.pid
        finally:
            servers.stop(process)


def _bare_run(work: Path, bid: Path, env: dict[str, str]) -> float:
    folder = work / "bare"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    bare_env = {**env, "BARE_UPLOAD_DIR": str(folder)}
    url = f"http://127.0.0.1:{BARE_PORT}"
    with _daphne(
        "bench.bench_upload:bare_application", BARE_PORT, bare_env, work / "bare.log", "/"
    ):
        seconds = _run(
            [sys.executable, "-m", "bench.bench_upload", "--bare-client", url, str(bid)], env
        )
    if (folder / "1.bin").stat().st_size != bid.stat().st_size:
        raise RuntimeError("the bare endpoint did not receive the whole file")
    shutil.rmtree(folder)
    return seconds


def _seal(work: Path, size_mb: int, code: str, section_id: str, env: dict[str, str]) -> Path:
    payload = work / "proposal.bin"
    with payload.open("wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(1 << 20))
    sheet = work / "sheet.json"
    sheet.write_text(json.dumps({"price": "1000.00"}))
    bid = work / "bid.gbid"
    _run(
        [
            *CLI,
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
    payload.unlink()
    return bid


CLI = [sys.executable, "-m", "ggzy_bid.cli"]


def measure(size_mb: int) -> dict[str, float]:
    with setup.scratch("upload", postgres=False) as (work, _database):
        env = dict(os.environ)  # what scratch set: SQLite in work, no REDIS_URL
        code, token, section_id = _setup(work)
        bid = _seal(work, size_mb, code, section_id, env)
        size = bid.stat().st_size
        from ggzy_core.gm.sm3 import sm3_stream

        started = time.perf_counter()
        with bid.open("rb") as handle:
            sm3_stream(handle)
        sm3_seconds = time.perf_counter() - started

        bare_first = _bare_run(work, bid, env)
        from tests import servers

        ggzy_env = servers.server_environment(work / "var")
        with _daphne(
            "config.asgi:application", GGZY_PORT, ggzy_env, work / "ggzy.log", "/api/time"
        ) as pid:
            before = _peak_rss_kib(pid)
            upload_seconds = _run(
                [
                    *CLI,
                    "submit",
                    str(bid),
                    "--section",
                    code,
                    "--chunk-size",
                    str(CHUNK),
                    "--server",
                    f"http://127.0.0.1:{GGZY_PORT}",
                    "--token",
                    token,
                ],
                env,
            )
            after = _peak_rss_kib(pid)
        bare_second = _bare_run(work, bid, env)
    bare_seconds = min(bare_first, bare_second)
    mb = size / 1e6
    return {
        "bid_mb": round(mb, 1),
        "upload_mb_s": round(mb / upload_seconds, 1),
        "bare_mb_s": round(mb / bare_seconds, 1),
        "bare_runs_mb_s": [round(mb / bare_first, 1), round(mb / bare_second, 1)],  # type: ignore[dict-item]
        "upload_vs_bare": round(bare_seconds / upload_seconds, 3),
        "client_sm3_mb_s": round(mb / sm3_seconds, 1),
        "daphne_peak_rss_before_mb": round(before / 1024, 1),
        "daphne_peak_rss_after_mb": round(after / 1024, 1),
        "daphne_peak_rss_growth_mb": round((after - before) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bare-client", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_client:
        _bare_client(*args.bare_client)
        return
    results = measure(args.size_mb)
    if args.json:
        print(json.dumps(results))
        return
    mb = results["bid_mb"]
    print(f"upload of a {mb:.0f} MB sealed bid, 16 MiB PATCHes, daphne on loopback")
    print(f"  ggzy, end to end (SQLite, file storage)  {results['upload_mb_s']:>8} MB/s")
    print(
        f"  bare ASGI app on daphne, same client     {results['bare_mb_s']:>8} MB/s  "
        f"(baseline, same run; runs {results['bare_runs_mb_s']})"
    )
    print(f"  ratio ggzy / bare                        {results['upload_vs_bare']:>8}x")
    print(f"  one SM3 pass over the file, this process {results['client_sm3_mb_s']:>8} MB/s")
    print(
        f"  daphne peak RSS growth                   {results['daphne_peak_rss_growth_mb']:>8} MB "
        f"({results['daphne_peak_rss_before_mb']} → {results['daphne_peak_rss_after_mb']} MB)"
    )


if __name__ == "__main__":
    main()
