"""scripts/backup and scripts/restore: the restore drill of docs/operations.md, for real.

Data with ledger entries (plain, embargoed, a signed checkpoint and an unsigned tail) and a
stored file are backed up from the test database; the back-up is restored into a newly
created, empty database and an empty directory; the ledger must verify there and the file
must come back byte for byte. Then what the drill must refuse: a non-empty target, a damaged
back-up, and a dump that is not the one whose ledger was exported.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from psycopg import sql

from ggzy import clock
from supervision import ledger
from supervision.models import LedgerEntry
from tests.conftest import requires_postgres
from tests.factories import OrganisationFactory, PersonFactory

pytestmark = [requires_postgres, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def database_url(name: str) -> str:
    params = connection.settings_dict
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or "5432"
    return f"postgres://{quote(params['USER'], safe='')}{password}@{host}:{port}/{name}"


def maintenance(statement: sql.Composed) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database created empty for this test, dropped after it: the restore's target."""
    name = f"{connection.settings_dict['NAME']}_restored_{secrets.token_hex(3)}"
    maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield database_url(name)
    maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(
    script: str, *args: str, database: str, media: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database,
        "MEDIA_ROOT": str(media),
        "PLATFORM_SIGNING_KEY_FILE": str(settings.PLATFORM_SIGNING_KEY_FILE),
        **extra,
    }
    environment.pop("AWS_STORAGE_BUCKET_NAME", None)
    return subprocess.run(  # our own scripts, fixed arguments
        [str(ROOT / "scripts" / script), *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def some_history() -> bytes:
    """A person, ledger entries of every kind, and a stored file; the file's bytes."""
    person = PersonFactory.create(organisation=OrganisationFactory.create())
    ledger.append("accounts.person.created", actor=person, target=person, data={"n": 1})
    ledger.append("tests.bid.received", target=("tests.bid", "1"), embargo="trading.section:1")
    ledger.seal("trading.section:1", until=clock.now() + dt.timedelta(days=1))
    ledger.checkpoint()
    ledger.append("tests.after.checkpoint", data={"amount": "12.50"})  # the unsigned tail
    content = secrets.token_bytes(200_000)
    default_storage.save("documents/tender.bin", ContentFile(content))
    return content


def backup(tmp_path: Path, **extra: str) -> Path:
    result = run(
        "backup",
        str(tmp_path / "backups"),
        database=database_url(connection.settings_dict["NAME"]),
        media=Path(settings.MEDIA_ROOT),
        **extra,
    )
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def restored_ledger(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as restored:
        rows = restored.execute(
            "SELECT sequence, entry_hash FROM supervision_ledgerentry ORDER BY sequence"
        ).fetchall()
    return [(int(sequence), str(entry_hash)) for sequence, entry_hash in rows]


@pytest.mark.django_db(transaction=True)
def test_the_drill_restores_a_ledger_that_verifies_and_files_byte_for_byte(
    tmp_path: Path, empty_database: str
) -> None:
    content = some_history()
    made = backup(tmp_path)
    assert sorted(path.name for path in made.iterdir()) == [
        "MANIFEST",
        "SHA256SUMS",
        "database.dump",
        "ledger.jsonl",
        "ledger.platform-key.pem",
        "media.tar",
    ]
    assert "PRIVATE KEY" not in (made / "ledger.platform-key.pem").read_text()
    assert "not included: platform private key" in (made / "MANIFEST").read_text()

    media = tmp_path / "restored-media"
    result = run("restore", str(made), database=empty_database, media=media)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ledger intact" in result.stdout
    assert "exported entries and 2 checkpoints are all in the restored ledger" in result.stdout
    assert (media / "documents" / "tender.bin").read_bytes() == content
    expected = list(LedgerEntry.objects.order_by("sequence").values_list("sequence", "entry_hash"))
    assert restored_ledger(empty_database) == expected

    # Run again on what it just restored: refused, nothing touched.
    again = run("restore", str(made), database=empty_database, media=tmp_path / "again")
    assert again.returncode != 0
    assert "restore only into an empty database" in again.stderr
    assert restored_ledger(empty_database) == expected
    assert not (tmp_path / "again").exists()


@pytest.mark.django_db(transaction=True)
def test_it_fails_when_the_restored_ledger_is_not_the_exported_one(
    tmp_path: Path, empty_database: str
) -> None:
    some_history()
    made = backup(tmp_path, GGZY_BACKUP_CHECKPOINT="0")
    # An export from another installation, its digests recomputed: only the comparison with
    # the restored ledger can notice.
    export = made / "ledger.jsonl"
    export.write_text(export.read_text().replace("tests.after.checkpoint", "tests.elsewhere"))
    subprocess.run(
        ["sh", "-c", "sha256sum -- database.dump ledger.* media.tar MANIFEST > SHA256SUMS"],
        cwd=made,
        check=True,
    )

    result = run("restore", str(made), database=empty_database, media=tmp_path / "media")

    assert result.returncode != 0
    assert "does not begin with the exported one" in result.stderr


def test_it_refuses_a_damaged_back_up_before_touching_the_database(
    tmp_path: Path, empty_database: str
) -> None:
    made = tmp_path / "ggzy-20261201T000000Z"
    made.mkdir()
    for name in ("MANIFEST", "database.dump", "ledger.jsonl"):
        (made / name).write_bytes(secrets.token_bytes(64))
    subprocess.run(["sh", "-c", "sha256sum -- * > SHA256SUMS"], cwd=made, check=True)
    with (made / "database.dump").open("r+b") as dump:
        dump.write(b"\x00")

    result = run("restore", str(made), database=empty_database, media=tmp_path / "media")

    assert result.returncode != 0
    assert "does not match its SHA256SUMS" in result.stderr
    with psycopg.connect(empty_database) as target:
        tables = target.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_it_backs_up_only_postgresql(tmp_path: Path) -> None:
    result = run(
        "backup", str(tmp_path), database="sqlite:///var/ggzy.sqlite3", media=tmp_path / "m"
    )
    assert result.returncode != 0
    assert "DATABASE_URL is not PostgreSQL" in result.stderr
    assert list(tmp_path.iterdir()) == []
