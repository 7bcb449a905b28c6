"""A PostgreSQL crash in the middle of concurrent appends: a backend is SIGKILLed, the
server cuts every session and recovers from its WAL. Run on a private server (socket only,
no TCP port) so that no one else's database restarts."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not Path("/usr/lib/postgresql/15/bin/initdb").exists(),
        reason="needs PostgreSQL 15's server binaries to run a private server it can crash",
    ),
]
ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SOCKET_PORT = "5499"  # names the socket file only: the server listens on no TCP port
DATABASE = "ggzy_ledger_crash"


class PrivateServer:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        # initdb and postgres refuse to run as root; the system's postgres user does.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.process: subprocess.Popen[bytes] | None = None

    def run(self, *argv: str) -> None:
        subprocess.run(argv, check=True, capture_output=True, user=self.user, group=self.user)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data),
                "-k",
                str(self.base),
                "-p",
                SOCKET_PORT,
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=on",
                "-c",
                "synchronous_commit=on",
            ],
            user=self.user,
            group=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        probe = [str(PG_BIN / "pg_isready"), "-q", "-h", str(self.base), "-p", SOCKET_PORT]
        while subprocess.run(probe, check=False).returncode != 0:
            assert time.monotonic() < deadline, "the private server did not come up"
            time.sleep(0.2)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@/{DATABASE}",
            "PGHOST": str(self.base),
            "PGPORT": SOCKET_PORT,
            "DEBUG": "true",
        }

    def psql(self, sql: str, database: str = DATABASE) -> str:
        result = subprocess.run(
            ["psql", "-h", str(self.base), "-p", SOCKET_PORT, "-U", "postgres", "-Atc", sql],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PGDATABASE": database},
        )
        return result.stdout.strip()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            self.process.wait(timeout=60)


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    base = Path(tempfile.mkdtemp(prefix="ggzy-ledger-crash-"))
    private = PrivateServer(base)
    if private.user is not None:
        shutil.chown(base, private.user, private.user)
    try:
        private.run(
            str(PG_BIN / "initdb"),
            "-D",
            str(private.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        private.start()
        private.psql(f"CREATE DATABASE {DATABASE}", database="postgres")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "supervision", "-v0"],
            env=private.env(),
            cwd=ROOT,
            check=True,
        )
        private.psql(
            "CREATE TABLE ledger_chaos_state (id bigserial PRIMARY KEY, worker text, index int)"
        )
        yield private
    finally:
        private.stop()
        shutil.rmtree(base, ignore_errors=True)


def _collect(process: Any, lines: list[str]) -> None:
    for line in process.stdout:
        lines.append(line.strip())


def test_it_keeps_the_chain_whole_and_every_acknowledged_change_through_a_server_crash(
    server: PrivateServer,
) -> None:
    writers = 6
    start_at = time.time() + 4
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.supervision.ledger_chaos_worker",
                "100000",
                f"w{n}",
                str(start_at),
                "-1",
            ],
            env=server.env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # each prints the server's goodbye when it crashes
            text=True,
        )
        for n in range(writers)
    ]
    outputs: list[list[str]] = [[] for _ in processes]
    readers = [
        threading.Thread(target=_collect, args=(process, lines), daemon=True)
        for process, lines in zip(processes, outputs, strict=True)
    ]
    for reader in readers:
        reader.start()
    # Crash while appends are flowing: once a few hundred are acknowledged.
    deadline = time.monotonic() + 240
    while sum(line.startswith("acked") for lines in outputs for line in lines) < 300:
        assert time.monotonic() < deadline, "the writers did not get going"
        time.sleep(0.05)
    victim = next(int(line.split()[1]) for line in outputs[0] if line.startswith("pid"))
    os.kill(victim, signal.SIGKILL)  # the postmaster answers by cutting every session
    assert all(process.wait(timeout=120) != 0 for process in processes)
    for reader in readers:
        reader.join(timeout=10)
    server.wait_ready()

    acked = {int(line.split()[1]) for lines in outputs for line in lines if "acked" in line}
    checked = subprocess.run(
        [sys.executable, "-m", "tests.supervision.ledger_chaos_worker", "verify"],
        env=server.env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(checked.stdout)
    assert result["ok"], result["reason"]
    assert result["entry_rows"] == result["rows"], "a committed change without its entry"
    assert result["entries"] == len(result["rows"])
    assert acked <= set(result["rows"]), "a change acknowledged as done was lost"
    assert len(acked) >= 300
