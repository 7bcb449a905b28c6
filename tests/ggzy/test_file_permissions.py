"""The platform's own files are its own: the var directory 0700, every file in it 0600 — the
embedded database and its -wal/-shm, the generated keys, uploads, the broker's folders — for
every process that writes there (manage.py, daphne, the Celery worker and beat)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh process on an empty var directory: migrate the embedded database, make the
# platform key, save an upload, then report every path's mode while the database is open.
WRITE_EVERYTHING = """
import json, os, django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from ggzy import signing
call_command("migrate", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM django_migrations")
signing.platform_private_key()
default_storage.save("bids/2026/upload.part", ContentFile(b"sealed bytes"))
modes = {}
for top in {settings.VAR_DIR, settings.MEDIA_ROOT}:
    for base, dirs, files in os.walk(top):
        for name in [base] + [os.path.join(base, f) for f in files]:
            modes[name] = os.stat(name).st_mode & 0o777
print(json.dumps({"umask": os.umask(0o077), "modes": modes}))
"""


def run(code: str, var: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "MEDIA_ROOT",
            "PLATFORM_SIGNING_KEY_FILE",
            "PYTEST_XDIST_WORKER",
        }
    }
    clean.update(
        {"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings", "GGZY_VAR_DIR": str(var)}
    )
    clean.update(env)
    # Started with the usual permissive umask: the fix must not depend on the caller's.
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        umask=0o022,
    )


def open_to_others(mode: int) -> bool:
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def test_the_var_directory_and_everything_written_in_it_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    result = run(WRITE_EVERYTHING, var)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["umask"] == 0o077
    modes = {Path(name): mode for name, mode in report["modes"].items()}
    names = {path.name for path in modes}
    # What must have been checked: the database with its WAL files, the key, the upload,
    # the broker folders.
    assert {"ggzy.sqlite3", "ggzy.sqlite3-wal", "ggzy.sqlite3-shm"} <= names
    assert {"platform-signing.pem", "upload.part", "queue", "processed"} <= names
    assert modes[var] == 0o700
    exposed = {str(path): oct(mode) for path, mode in modes.items() if open_to_others(mode)}
    assert not exposed


def test_an_existing_world_readable_var_directory_is_closed(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    result = run("import django; django.setup()", var)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "entry_point",
    ["import config.asgi", "import config.celery", "import config.settings"],
    ids=["daphne", "celery worker and beat", "manage.py and pytest"],
)
def test_every_entry_point_runs_with_a_private_umask(tmp_path: Path, entry_point: str) -> None:
    result = run(f"import os; {entry_point}; print(oct(os.umask(0)))", tmp_path / "var")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "0o77"


def test_uploads_are_saved_private_whatever_the_umask(tmp_path: Path) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    previous = os.umask(0o022)
    try:
        saved = FileSystemStorage(location=tmp_path / "media").save(
            "documents/s1/tender.pdf", ContentFile(b"%PDF-1.7")
        )
    finally:
        os.umask(previous)
    path = tmp_path / "media" / saved
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_collected_static_files_stay_readable_by_the_web_server(
    settings: Any, tmp_path: Path
) -> None:
    """collectstatic writes public files that nginx (another user) serves."""
    from django.core.management import call_command

    settings.STATIC_ROOT = str(tmp_path / "static")
    previous = os.umask(0o077)
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
    finally:
        os.umask(previous)
    script = tmp_path / "static" / "js" / "countdown.js"
    assert stat.S_IMODE(script.stat().st_mode) == 0o644
    assert stat.S_IMODE(script.parent.stat().st_mode) == 0o755


def test_the_demo_script_sets_a_private_umask_before_it_writes_logs() -> None:
    script = (ROOT / "scripts" / "run-demo").read_text()
    assert "umask 077" in script
    assert script.index("umask 077") < script.index("mkdir -p")
