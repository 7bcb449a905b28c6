"""The production topology as local processes: PostgreSQL, Redis, an S3 endpoint (moto),
daphne ×N, a Celery worker and beat, the bank and issuer simulators.

Used by ``scripts/cluster.py`` (``make cluster``, ``make cluster-test``) and by the fault
tests in tests/cluster/. No Django import: the launcher runs before any settings exist.

Every component writes its pid to ``<var>/run/<name>.pid``, so another process (the test
session started by ``make cluster-test``) can kill, stop and restart a component it did not
start. Nothing here touches the machine's own PostgreSQL or Redis: every address is the
caller's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
PG_BIN = Path(os.environ.get("GGZY_PG_BIN", "/usr/lib/postgresql/15/bin"))
# PostgreSQL refuses to run as root: under root its processes run as this user.
PG_SYSTEM_USER = "postgres"
PG_HOME = Path(os.environ.get("GGZY_CLUSTER_PG_HOME", "/var/lib/postgresql/ggzy-cluster"))
BUCKET = "ggzy"
# moto accepts any credentials; these only have to be the same on both sides.
S3_ACCESS_KEY = "cluster-access-key"
S3_SECRET_KEY = "cluster-secret-key"  # nosec B105 # a local fake S3's, not a secret


def _label(var: Path) -> str:
    """A directory name for ``var``: var/cluster/test → var-cluster-test."""
    inside = var.resolve().is_relative_to(ROOT)
    return "-".join(var.resolve().relative_to(ROOT).parts if inside else var.resolve().parts[1:])


class ClusterError(RuntimeError):
    """A component did not start or stop; the message names it and its log."""


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_in(first: int, last: int, taken: set[int] | None = None) -> int:
    """A free port in [first, last]: the cluster keeps to the range it was given."""
    for port in range(first, last + 1):
        if (taken is None or port not in taken) and port_is_free(port):
            if taken is not None:
                taken.add(port)
            return port
    raise ClusterError(f"no free port in {first}-{last}: stop the cluster that holds them")


def _answers_http(url: str) -> bool:
    try:
        # A first answer loads the application: slow on a loaded machine.
        return requests.get(url, timeout=10).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def _accepts_tcp(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@dataclass
class Component:
    """One process of the cluster: started, checked, stopped, killed and restarted by pid."""

    name: str
    argv: Sequence[str]
    var: Path
    ready: Callable[[], bool]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    user: str | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    _child: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0

    @property
    def log(self) -> Path:
        return self.var / "log" / f"{self.name}.log"

    @property
    def pidfile(self) -> Path:
        return self.var / "run" / f"{self.name}.pid"

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def alive(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        if self._child is not None and self._child.pid == pid:
            return self._child.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie of another parent still answers kill(0): read its state.
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
                return False
        return True

    def start(self, timeout: float = 180) -> None:
        if self.alive():
            raise ClusterError(f"{self.name} is already running (pid {self.pid()})")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self._child = subprocess.Popen(  # nosec B603 # our own argv, no shell
                list(self.argv),
                cwd=ROOT,
                env=dict(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                user=self.user,
                group=self.user,
                # Its own process group: a Ctrl-C reaches the launcher alone, which stops
                # the components in order (the servers before the database they use).
                process_group=0,
            )
        self.pidfile.write_text(str(self._child.pid))
        try:
            self.wait_ready(timeout)
        except ClusterError:
            self.stop()  # not left behind, holding its port, by a start that failed
            raise

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.alive():
                raise ClusterError(f"{self.name} exited at start: {self.tail_of_log()}")
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{self.name} not ready in {timeout:.0f} s: {self.tail_of_log()}"
                )
            time.sleep(0.1)

    def tail_of_log(self, characters: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except FileNotFoundError:
            return "(no log)"

    def _wait_gone(self, timeout: float) -> bool:
        pid = self.pid()
        if pid is not None and self._child is not None and self._child.pid == pid:
            try:
                self._child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def signal(self, number: signal.Signals) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def kill(self) -> None:
        """kill -9: no chance to clean up, as when a machine or an OOM killer takes it."""
        self.signal(signal.SIGKILL)
        self._wait_gone(30)
        self.pidfile.unlink(missing_ok=True)

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            self.pidfile.unlink(missing_ok=True)
            return
        self.signal(self.stop_signal)
        if not self._wait_gone(timeout):
            self.kill()
        self.pidfile.unlink(missing_ok=True)

    def restart(self, timeout: float = 180) -> None:
        self.stop()
        self.start(timeout)


class Postgres(Component):
    """A private PostgreSQL: its own data directory (initdb once), port and socket directory."""

    def __init__(self, var: Path, port: int, *, durable: bool = True) -> None:
        self.port = port
        self.password_file = var / "pg-password"
        user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        # Under root the server runs as postgres, which cannot reach into the checkout's var/:
        # every ggzy process closes var/ to its own user (config/settings.py, issue 7), so
        # its data then lives in postgres's own home, named after the var directory.
        home = PG_HOME / _label(var) if user else var
        self.data = home / "pg"
        self.sockets = home / "sockets"
        options = ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]
        if not durable:
            # Tests only: nothing here must survive a power cut, and fsync costs seconds.
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            options += ["-c", "full_page_writes=off"]
        super().__init__(
            name="postgres",
            argv=[
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(port),
                "-k",
                str(self.sockets),
                *options,
            ],
            var=var,
            ready=self._ready,
            user=user,
            # SIGINT is PostgreSQL's "fast" shutdown: sessions are cut, nothing is lost.
            stop_signal=signal.SIGINT,
        )

    def _ready(self) -> bool:
        probe = [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        return subprocess.run(probe, check=False).returncode == 0  # nosec B603

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str) -> str:
        return f"postgres://postgres:{self.password()}@127.0.0.1:{self.port}/{database}"

    def initialise(self, template: Postgres | None = None) -> None:
        """initdb once; with ``template`` (an initialised data directory) a copy of it."""
        if (self.data / "PG_VERSION").exists():
            return
        self.var.mkdir(parents=True, exist_ok=True)
        if template is not None and (template.data / "PG_VERSION").exists():
            shutil.copytree(template.data, self.data, symlinks=True)
            shutil.copy2(template.password_file, self.password_file)
        else:
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.data.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.user is not None:
                shutil.chown(PG_HOME, self.user, self.user)
                self._give_to_postgres(self.data.parent)
            pwfile = self.data.parent / "initdb-password"
            pwfile.write_text(self.password())
            self._give_to_postgres(pwfile)
            try:
                subprocess.run(  # nosec B603 # our own argv
                    [
                        str(PG_BIN / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ],
                    check=True,
                    capture_output=True,
                    user=self.user,
                    group=self.user,
                )
            finally:
                pwfile.unlink(missing_ok=True)
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self.user is not None and self.data.parent != self.var:
            shutil.chown(PG_HOME, self.user, self.user)
            self._give_to_postgres(self.data.parent)
        else:
            self._give_to_postgres(self.sockets)
            self._give_to_postgres(self.data)

    def _give_to_postgres(self, path: Path) -> None:
        if self.user is None:
            return
        shutil.chown(path, self.user, self.user)
        if path.is_dir():
            for inner in path.rglob("*"):
                shutil.chown(inner, self.user, self.user)

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')

    def crash(self) -> None:
        """Immediate shutdown (SIGQUIT): every session cut, recovery from the WAL at start."""
        self.signal(signal.SIGQUIT)
        self._wait_gone(30)
        self.pidfile.unlink(missing_ok=True)


class Redis(Component):
    """A private redis-server. ``persistent``: an append-only file as production keeps (a
    restart loses no queued task); without it a restart loses everything, the worst case."""

    def __init__(self, var: Path, port: int, *, persistent: bool = False) -> None:
        self.port = port
        keeping = ["--appendonly", "yes", "--appendfsync", "everysec"] if persistent else []
        keeping = keeping or ["--appendonly", "no"]
        super().__init__(
            name="redis",
            argv=[
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *keeping,
                "--dir",
                str(var),
            ],
            var=var,
            ready=self._ready,
        )

    def _ready(self) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"


class S3(Component):
    """moto's server mode: an S3-compatible endpoint, with the platform's bucket."""

    def __init__(self, var: Path, port: int) -> None:
        self.port = port
        super().__init__(
            name="s3",
            argv=[sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            var=var,
            ready=lambda: _accepts_tcp(port) and _answers_http(f"{self.url}/moto-api/"),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_bucket(self) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name="us-east-1",
        )
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=BUCKET)

    def environment(self) -> dict[str, str]:
        return {
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
            "AWS_S3_REGION_NAME": "us-east-1",
        }


def daphne(name: str, var: Path, port: int, env: Mapping[str, str]) -> Component:
    url = f"http://127.0.0.1:{port}"
    return Component(
        name=name,
        # As in production (docker/, scripts/run-demo): no websocket message over 64 KiB.
        argv=[
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "--websocket-max-message-size",
            "65536",
            "config.asgi:application",
        ],
        var=var,
        env=env,
        ready=lambda: _answers_http(url + "/api/time"),
    )


def start_daphne(
    name: str, var: Path, env: Mapping[str, str], first: int, last: int, taken: set[int]
) -> Component:
    """A daphne on the first port of [first, last] it can listen on. The range lies inside
    the kernel's ephemeral ports, so an outgoing connection may take a port between the
    probe and daphne's listen: then the next port."""
    for _attempt in range(10):
        component = daphne(name, var, free_port_in(first, last, taken), env)
        try:
            component.start()
        except ClusterError as error:
            if "Address already in use" not in str(error):
                raise
        else:
            return component
    raise ClusterError(f"{name} found no port to listen on in {first}-{last}")


def celery(name: str, var: Path, env: Mapping[str, str], *arguments: str) -> Component:
    component = Component(
        name=name,
        argv=[sys.executable, "-m", "celery", "-A", "config.celery", *arguments, "--loglevel=INFO"],
        var=var,
        env=env,
        ready=lambda: False,
    )
    # A worker or beat has no port; alive a moment after its start is what can be checked
    # without a round trip through the broker (which may be the component under test).
    component.ready = lambda: time.monotonic() - component.started_at > 1.5
    return component


def url_of(component: Component) -> str:
    """The http URL of a daphne component, from its argv."""
    argv = list(component.argv)
    return f"http://127.0.0.1:{argv[argv.index('-p') + 1]}"


@contextlib.contextmanager
def running(*components: Component) -> Iterator[None]:
    """Start in order; stop in reverse order, whatever happened."""
    started: list[Component] = []
    try:
        for component in components:
            component.start()
            started.append(component)
        yield
    finally:
        for component in reversed(started):
            component.stop()
