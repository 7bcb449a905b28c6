"""README's "Verifying the ledger" commands run as written, from a checkout without a
production secret (DEBUG off, no SECRET_KEY); the server's own refusal stays."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from supervision import ledger
from tests.servers import database_url

pytestmark = pytest.mark.django_db(transaction=True)  # the commands run in other processes
ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def readme_commands() -> list[str]:
    """The shell lines of README's "Verifying the ledger" block, comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Verifying the ledger", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README has no command block under 'Verifying the ledger'"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def checkout_without_secrets(var_dir: Path) -> dict[str, str]:
    """A shell in the checkout: no DEBUG, no SECRET_KEY, no signing key setting; the demo's
    platform key where `make demo` leaves it (var/keys/platform-signing.pem)."""
    keys = var_dir / "keys"
    keys.mkdir(parents=True)
    shutil.copy(settings.PLATFORM_SIGNING_KEY_FILE, keys / "platform-signing.pem")
    hidden = {
        "DEBUG",
        "SECRET_KEY",
        "PLATFORM_SIGNING_KEY_FILE",
        "DJANGO_SETTINGS_MODULE",
        "PYTEST_XDIST_WORKER",  # a reader's shell, not a test process
    }
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update({"GGZY_VAR_DIR": str(var_dir), "DATABASE_URL": database_url()})
    return env


def as_run_here(line: str) -> list[str]:
    """The README line with .venv/bin and manage.py resolved for this checkout and venv."""
    words = shlex.split(line)
    words = [
        str(VENV_BIN / w.removeprefix(".venv/bin/")) if w.startswith(".venv/bin/") else w
        for w in words
    ]
    return [str(ROOT / "manage.py") if w == "manage.py" else w for w in words]


def test_the_readme_ledger_commands_run_as_written_without_a_production_secret(
    tmp_path: Path,
) -> None:
    for n in range(3):
        ledger.append("tests.thing.happened", data={"n": n})
    ledger.checkpoint()
    env = checkout_without_secrets(tmp_path / "var")
    commands = readme_commands()
    assert [c.split()[:3] for c in commands[:2]] == [
        [".venv/bin/python", "manage.py", "verify_ledger"],
        [".venv/bin/python", "manage.py", "export_ledger"],
    ]
    assert commands[2].startswith(".venv/bin/ggzy-verify-ledger ")
    for line in commands:
        result = subprocess.run(
            as_run_here(line), cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        if "verify" in line:
            assert "3 entries, 1 signed checkpoints" in result.stdout, (line, result.stdout)
    assert (tmp_path / "ledger.jsonl").is_file()


def test_a_read_only_command_without_the_platform_key_says_where_to_put_it(
    tmp_path: Path,
) -> None:
    env = checkout_without_secrets(tmp_path / "var")
    (tmp_path / "var" / "keys" / "platform-signing.pem").unlink()
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify_ledger"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "PLATFORM_SIGNING_KEY_FILE" in result.stderr and "平台签名密钥" in result.stderr


def test_any_other_manage_py_command_still_refuses_without_the_production_secret(
    tmp_path: Path,
) -> None:
    env = checkout_without_secrets(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ledger_checkpoint"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "refuses to start with DEBUG off" in result.stderr and "SECRET_KEY" in result.stderr
