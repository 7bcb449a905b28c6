"""``make cluster`` and ``make cluster-test``: the production topology on this machine,
without docker (docs/cluster.md).

    python scripts/cluster.py up      # PostgreSQL, Redis, S3 (moto), daphne ×2, worker, beat,
                                      # bank + issuer simulators, demo data; Ctrl-C stops all
    python scripts/cluster.py test [pytest arguments]   # the fault tests (tests/cluster)

Everything is private to ``var/cluster`` (``CLUSTER_VAR``) and to ports 55000-55999; the
machine's own PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess  # nosec B404 # the cluster is processes: our own argv, never a shell
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster import harness

VAR = Path(os.environ.get("CLUSTER_VAR", harness.ROOT / "var" / "cluster")).resolve()
BANK_SECRET = "cluster-bank-secret-not-for-production"  # noqa: S105  # nosec B105 # the simulator's
COLLECTION_ACCOUNT = "310066661000000001"


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    s3: int
    daphnes: tuple[int, ...]
    bank: int
    issuer: int


def _ports(preferred: Ports) -> Ports:
    """The preferred ports, each replaced by a free one of 55000-55799 if it is taken: the
    range lies inside the kernel's ephemeral ports, so another program's outgoing
    connection can hold one of them for a while."""
    taken: set[int] = set()

    def pick(port: int) -> int:
        if port and port not in taken and harness.port_is_free(port):
            taken.add(port)
            return port
        return harness.free_port_in(55000, 55799, taken) if port else 0

    return Ports(
        postgres=pick(preferred.postgres),
        redis=pick(preferred.redis),
        s3=pick(preferred.s3),
        daphnes=tuple(pick(port) for port in preferred.daphnes),
        bank=pick(preferred.bank),
        issuer=pick(preferred.issuer),
    )


# `make cluster` and `make cluster-test` may run side by side: each has its own ports.
UP_PORTS = Ports(
    postgres=55432, redis=55379, s3=55900, daphnes=(55801, 55802), bank=55880, issuer=55881
)
TEST_PORTS = Ports(postgres=55433, redis=55380, s3=55901, daphnes=(), bank=0, issuer=0)


def _manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run(  # nosec B603 # our own argv
        [sys.executable, "manage.py", *arguments], cwd=harness.ROOT, env=env, check=True
    )


def _stop_on_signals() -> None:
    def raise_interrupt(_number: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_interrupt)
    # Also when started where SIGINT is ignored (a background job of a script, nohup).
    signal.signal(signal.SIGINT, raise_interrupt)


def _app_environment(postgres: harness.Postgres, redis: harness.Redis, var: Path) -> dict[str, str]:
    """What every app process of the cluster (and the fault tests) runs with."""
    return {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": postgres.url("ggzy"),
        "REDIS_URL": redis.url(0),
        "GGZY_VAR_DIR": str(var / "app"),
    }


def up() -> int:
    """The whole cluster with the demo's data, until Ctrl-C."""
    ports = _ports(UP_PORTS)
    var = VAR / "up"
    postgres = harness.Postgres(var, ports.postgres)
    redis = harness.Redis(var, ports.redis, persistent=True)
    s3 = harness.S3(var, ports.s3)
    postgres.initialise()
    _stop_on_signals()
    with harness.running(postgres, redis, s3):
        postgres.create_database("ggzy")
        s3.create_bucket()
        env = {
            **_app_environment(postgres, redis, var),
            "BANK_URL": f"http://127.0.0.1:{ports.bank}",
            "BANK_SECRET": BANK_SECRET,
            "BANK_COLLECTION_ACCOUNT": COLLECTION_ACCOUNT,
            "PUBLICITY_SECONDS": os.environ.get("PUBLICITY_SECONDS", "300"),
            "ARCHIVE_AFTER_SECONDS": os.environ.get("ARCHIVE_AFTER_SECONDS", "600"),
            **s3.environment(),
        }
        _manage(env, "migrate", "--no-input")
        _manage(env, "demo_data")
        daphnes = [
            harness.daphne(f"daphne-{n}", var, port, env)
            for n, port in enumerate(ports.daphnes, start=1)
        ]
        bank = harness.Component(
            name="bank",
            argv=[
                sys.executable,
                "-m",
                "simulators.bank",
                "--port",
                str(ports.bank),
                "--callback-url",
                f"{harness.url_of(daphnes[0])}/deposits/bank/callback",
                "--collection-account",
                COLLECTION_ACCOUNT,
                "--opening-balance",
                "1000000.00",
                "--state",
                str(var / "bank-state.json"),
            ],
            var=var,
            env=env,  # BANK_SECRET from the environment: the command line is visible to `ps`
            ready=lambda: harness._answers_http(f"http://127.0.0.1:{ports.bank}/_control/health"),
        )
        issuer = harness.Component(
            name="issuer",
            argv=[sys.executable, "-m", "simulators.issuer", "--port", str(ports.issuer)],
            var=var,
            ready=lambda: harness._answers_http(f"http://127.0.0.1:{ports.issuer}/key"),
        )
        worker = harness.celery("worker", var, env, "worker", "--concurrency=2")
        beat = harness.celery(
            "beat", var, env, "beat", f"--schedule={var / 'app' / 'beat-schedule'}"
        )
        with harness.running(bank, issuer, worker, beat, *daphnes):
            _print_welcome(var, daphnes, ports)
            # bidder1 pays the demo opening's deposit through the bank simulator, which calls
            # daphne back as a bank would (as scripts/run-demo does); once is enough.
            paid = subprocess.run(  # nosec B603 # our own argv
                [sys.executable, "manage.py", "demo_deposits"], cwd=harness.ROOT, env=env
            )
            if paid.returncode:
                print(f"  (the demo deposit payment failed: see {var / 'log' / 'bank.log'})")
            _manage(env, "demo_data", "--print-logins")
            while all(c.alive() for c in (postgres, redis, s3, bank, worker, beat, *daphnes)):
                time.sleep(1)
            dead = [c.name for c in (postgres, redis, s3, worker, beat, *daphnes) if not c.alive()]
            print(f"stopping the cluster: {', '.join(dead)} exited (see {var / 'log'})")
    return 1


def _print_welcome(var: Path, daphnes: list[harness.Component], ports: Ports) -> None:
    urls = "\n".join(f"    {harness.url_of(d)}/" for d in daphnes)
    print(
        f"""
  ggzy cluster is running (docs/cluster.md). The same site on two daphne processes:
{urls}
  PostgreSQL 127.0.0.1:{ports.postgres} (password in {var / "pg-password"}),
  Redis 127.0.0.1:{ports.redis}, S3 (moto) http://127.0.0.1:{ports.s3}/ bucket {harness.BUCKET},
  bank simulator http://127.0.0.1:{ports.bank}, issuer simulator http://127.0.0.1:{ports.issuer}
  logs: {var / "log"}
  Ctrl-C stops everything.
""",
        flush=True,
    )


def test(pytest_arguments: list[str]) -> int:
    """The fault tests on a private PostgreSQL and Redis, started here and stopped after.

    The data directory is initialised once (``var/cluster/template``) and copied for every
    run: each run starts from an empty server in a second instead of an initdb.
    """
    ports = _ports(TEST_PORTS)
    var = VAR / "test"
    template = harness.Postgres(VAR / "template", ports.postgres)
    template.initialise()
    postgres = harness.Postgres(var, ports.postgres, durable=False)
    if postgres.alive():
        raise harness.ClusterError(f"a test cluster is running already (pid {postgres.pid()})")
    for stale in (postgres.data, var / "run", var / "app", var / "log"):
        shutil.rmtree(stale, ignore_errors=True)
    postgres.initialise(template=template)
    redis = harness.Redis(var, ports.redis)
    s3 = harness.S3(var, ports.s3)
    _stop_on_signals()
    with harness.running(postgres, redis, s3):
        postgres.create_database("ggzy")
        s3.create_bucket()
        env = {
            **_app_environment(postgres, redis, var),
            "GGZY_CLUSTER_TESTS": "1",
            "GGZY_CLUSTER_VAR": str(var),
            "GGZY_CLUSTER_POSTGRES_PORT": str(ports.postgres),
            "GGZY_CLUSTER_REDIS_PORT": str(ports.redis),
            "GGZY_CLUSTER_S3_PORT": str(ports.s3),
        }
        for name in ("AWS_STORAGE_BUCKET_NAME", "PYTEST_ADDOPTS"):
            env.pop(name, None)  # the tests choose their storage per server process
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/cluster"]
        return subprocess.run(  # nosec B603 # our own argv
            [*command, *pytest_arguments], cwd=harness.ROOT, env=env, check=False
        ).returncode


def main() -> int:
    os.umask(0o077)  # logs and the database password are the platform user's alone
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="the cluster with demo data, until Ctrl-C")
    commands.add_parser("test", help="tests/cluster on a private cluster; more args to pytest")
    arguments, rest = parser.parse_known_args()
    try:
        return up() if arguments.command == "up" else test(rest)
    except KeyboardInterrupt:
        print("\ncluster stopped", flush=True)
        return 130
    except harness.ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
