"""Real server processes for the tests whose behaviour depends on them: daphne on a free
port, talking to the test database, signing with the test platform key."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_consecutive_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports, below Linux's ephemeral range (32768
    on): ports there are handed out to outgoing connections at any moment, so the one after
    a free port may not stay free (a test that starts servers on consecutive ports)."""
    start = random.randrange(20_000, 32_000 - count)  # spreads concurrent test processes apart
    for first in range(start, 32_000 - count):
        if all(_bindable(first + offset) for offset in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports between {start} and 32000")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def database_url() -> str:
    """The test database, as a URL another process can open."""
    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        return (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}"
        )
    name = str(database["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise RuntimeError(
            "an in-memory SQLite test database cannot be shared with a server process"
        )
    return f"sqlite:///{name}"


def server_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "GGZY_VAR_DIR": str(var_dir),
        "PLATFORM_SIGNING_KEY_FILE": str(settings.PLATFORM_SIGNING_KEY_FILE),
        # The same stored files (bids, documents) as the test process.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **extra,
    }


@dataclass(frozen=True)
class Running:
    url: str
    process: subprocess.Popen[bytes]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_answering(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float = 60,
    path: str = "/api/time",
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + path, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or its first answer (loading the app) is slow: ask again
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


ASGI_APP = "config.asgi:application"
Launcher = Callable[..., list[str]]


def python_module(module: str, *arguments: str) -> list[str]:
    """``python -m module arguments`` with this interpreter (a test may launch on a shifted
    clock instead: tests/browser/timeline.py)."""
    return [sys.executable, "-m", module, *arguments]


@contextmanager
def daphnes(
    var_dir: Path,
    ports: Sequence[int],
    *,
    log_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    launch: Launcher = python_module,
    timeout: float = 60,
) -> Iterator[list[Running]]:
    """Daphne processes on ``ports``, all started before any is waited for (they load the
    app side by side), each answering before this yields; stopped afterwards. The
    environment is ``server_environment(var_dir)`` unless ``env`` is given; logs go to
    ``log_dir`` (kept after the run) or ``var_dir``."""
    logs = log_dir or var_dir
    logs.mkdir(parents=True, exist_ok=True)
    environment = dict(env) if env is not None else server_environment(var_dir)
    started: list[tuple[Running, Path]] = []
    try:
        for port in ports:
            log_path = logs / f"daphne-{port}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    launch("daphne", "-b", "127.0.0.1", "-p", str(port), ASGI_APP),
                    cwd=ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started.append((Running(f"http://127.0.0.1:{port}", process), log_path))
        for running, log_path in started:
            wait_until_answering(running.url, running.process, log_path, timeout=timeout)
        yield [running for running, _ in started]
    finally:
        for running, _ in started:
            stop(running.process)


@contextmanager
def daphne(var_dir: Path, port: int | None = None, /, **extra: str) -> Iterator[Running]:
    """A daphne process on ``port`` (a free one by default) with ``server_environment(var_dir,
    **extra)``; stopped afterwards."""
    env = server_environment(var_dir, **extra)
    with daphnes(var_dir, [port or free_port()], env=env) as (running,):
        yield running


@contextmanager
def celery_worker(var_dir: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker on the tests' broker (Redis, or the filesystem broker in var_dir)."""
    with (var_dir / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=server_environment(var_dir, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


@dataclass(frozen=True)
class BankSimulator:
    """A running bank simulator (simulators/bank) and the calls the tests make to it."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def control(self, method: str, path: str, body: object = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, timeout=10)

    def open_account(self, number: str, name: str, balance: str) -> None:
        answer = self.control(
            "POST", "/_control/accounts", {"number": number, "name": name, "balance": balance}
        )
        answer.raise_for_status()

    def balance_of(self, number: str) -> str:
        return str(self.control("GET", f"/_control/accounts/{number}").json()["balance"])

    def transfer(
        self, *, from_account: str, to_account: str, amount: str, memo: str = ""
    ) -> requests.Response:
        return self.control(
            "POST",
            "/transfers",
            {
                "from_account": from_account,
                "to_account": to_account,
                "amount": amount,
                "memo": memo,
            },
        )

    def faults(self, **faults: object) -> None:
        self.control("POST", "/_control/faults", faults).raise_for_status()

    def health(self) -> dict[str, object]:
        return dict(self.control("GET", "/_control/health").json())


@contextmanager
def bank_simulator(
    var_dir: Path,
    *,
    callback_url: str = "",
    secret: str,
    collection_account: str = "310066661000000001",
    opening_balance: str = "0.00",
    extra: tuple[str, ...] = (),
) -> Iterator[BankSimulator]:
    """The bank simulator in its own process on a free port; stopped afterwards."""
    port = free_port()
    log_path = var_dir / f"bank-{port}.log"
    command = [
        sys.executable,
        "-m",
        "simulators.bank",
        "--port",
        str(port),
        "--secret",
        secret,
        "--collection-account",
        collection_account,
        "--opening-balance",
        opening_balance,
        "--callback-backoff",
        "0.2",
        *(["--callback-url", callback_url] if callback_url else []),
        *extra,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_answering(url, process, log_path, timeout=30, path="/_control/health")
            yield BankSimulator(url, process, log_path)
        finally:
            stop(process)


@dataclass(frozen=True)
class IssuerSimulator:
    """A running issuer simulator (simulators/issuer) and the calls the tests make to it."""

    url: str
    process: subprocess.Popen[bytes]
    credit_code: str

    def control(self, path: str, body: object = None) -> dict[str, object]:
        answer = requests.post(self.url + path, json=body or {}, timeout=60)
        answer.raise_for_status()
        return dict(answer.json())

    def public_key_pem(self) -> str:
        return requests.get(self.url + "/key", timeout=10).text

    def claims(self) -> list[dict[str, object]]:
        return list(requests.get(self.url + "/_control/claims", timeout=10).json()["claims"])


@contextmanager
def issuer_simulator(
    var_dir: Path, *, credit_code: str | None = None, platform_key: Path | None = None
) -> Iterator[IssuerSimulator]:
    """The issuer simulator in its own process on a free port; stopped afterwards."""
    from ggzy_core.credit_code import check_character

    code = credit_code or "91110000MA01GUAR0" + check_character("91110000MA01GUAR0")
    port = free_port()
    log_path = var_dir / f"issuer-{port}.log"
    command = [sys.executable, "-m", "simulators.issuer", "--port", str(port)]
    command += ["--credit-code", code]
    if platform_key is not None:
        command += ["--platform-key", str(platform_key)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_answering(url, process, log_path, timeout=30, path="/key")
            yield IssuerSimulator(url, process, code)
        finally:
            stop(process)


@dataclass(frozen=True)
class Command:
    argv: list[str]
    env: dict[str, str]


def ggzy_bid_submit(
    *, url: str, token: str, bid: Path, section_code: str, home: Path, chunk_size: int
) -> Command:
    """``ggzy-bid submit`` as a bidder runs it against ``url`` (its profile under ``home``)."""
    return Command(
        argv=[
            sys.executable,
            "-m",
            "ggzy_bid.cli",
            "submit",
            str(bid),
            "--section",
            section_code,
            "--chunk-size",
            str(chunk_size),
        ],
        env={**os.environ, "GGZY_SERVER": url, "GGZY_TOKEN": token, "XDG_CONFIG_HOME": str(home)},
    )
