"""``manage.py verify_archive`` runs with no database, and the openssl proof in
docs/archive.md runs as written on a real package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from ggzy import signing
from supervision.archive import services
from tests import tools
from tests.supervision.archive.conftest import files_of, package_of
from trading.models import Section

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs" / "archive.md"


def sealed_package(section: Section, tmp_path: Path) -> tuple[Path, Path]:
    services.archive_seal(section=section, actor=None)
    services.archive_store(section_id=section.pk)
    package = tmp_path / "archive.zip"
    package.write_bytes(package_of(section))
    key = tmp_path / "platform.pem"
    key.write_bytes(signing.platform_public_key().to_pem())
    return package, key


def verify_archive(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ggzy_archive_no_such_database",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "verify_archive", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_verify_archive_proves_a_package_without_a_database(
    failed: Section, tmp_path: Path
) -> None:
    package, key = sealed_package(failed, tmp_path)
    good = verify_archive(str(package), "--public-key", str(key))
    assert good.returncode == 0, good.stdout + good.stderr
    assert (
        f"OK 电子档案完整且未被篡改 / archive complete and untampered: section {failed.code}"
        in (good.stdout)
    )
    unpinned = verify_archive(str(package))
    assert unpinned.returncode == 0 and "pin an independently obtained key" in unpinned.stdout

    files = files_of(package.read_bytes())
    del files["section/announcement.json"]
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    refused = verify_archive(str(tampered), "--public-key", str(key))
    assert refused.returncode == 1
    assert "section/announcement.json is missing" in refused.stdout

    unreadable = tmp_path / "junk.zip"
    unreadable.write_bytes(b"junk")
    assert verify_archive(str(unreadable)).returncode == 2


def _openssl_has_sm2() -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    listing = subprocess.run(
        [openssl, "list", "-public-key-algorithms"], capture_output=True, text=True, check=False
    )
    return "SM2" in listing.stdout


@tools.requires(_openssl_has_sm2(), "needs OpenSSL 3 with SM2 and SM3 (the documented proof)")
def test_the_documented_openssl_proof_accepts_a_package_and_refuses_a_changed_byte(
    failed: Section, tmp_path: Path
) -> None:
    script = re.search(r"## With openssl alone.*?```sh\n(.*?)```", DOCS.read_text(), re.S)
    assert script is not None
    package, key = sealed_package(failed, tmp_path)

    def run(archive: Path) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "ARCHIVE": str(archive), "KEY": str(key)}
        return subprocess.run(
            ["bash", "-c", script.group(1)],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    good = run(package)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK: the manifest, every file, every signature" in good.stdout

    files = files_of(package.read_bytes())
    receipt = next(n for n in files if n.startswith("receipts/") and n.endswith(".json"))
    files[receipt] = files[receipt].replace(b'"kind":"received"', b'"kind":"withdrawn"')
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(changed, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    assert run(changed).returncode != 0
