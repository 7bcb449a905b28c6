"""scripts/demo-reset (make demo-reset): says what it deletes, asks, deletes only the demo's
own entries, and never a database named by DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_ENTRIES = ["ggzy.sqlite3", "demo-keys", "demo-bids", "media", "keys", "celery", "log"]


def var_with_demo_data(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    var.mkdir()
    (var / "ggzy.sqlite3").write_text("db")
    for folder in DEMO_ENTRIES[1:]:
        (var / folder).mkdir()
        (var / folder / "file").write_text("x")
    (var / "notes.txt").write_text("the user's own file")
    return var


def reset(var: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "YES"}}
    return subprocess.run(
        [str(ROOT / "scripts" / "demo-reset")],
        env={**clean, "GGZY_VAR_DIR": str(var), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def test_confirmed_it_deletes_the_demo_entries_and_nothing_else(tmp_path: Path) -> None:
    var = var_with_demo_data(tmp_path)
    result = reset(var, YES="1")
    assert result.returncode == 0, result.stderr
    assert [entry for entry in DEMO_ENTRIES if (var / entry).exists()] == []
    assert (var / "notes.txt").exists()
    for entry in DEMO_ENTRIES:
        assert str(var / entry) in result.stdout  # it said what it deletes


def test_unconfirmed_and_without_a_terminal_it_deletes_nothing_and_says_how_to_confirm(
    tmp_path: Path,
) -> None:
    var = var_with_demo_data(tmp_path)
    result = reset(var)
    assert result.returncode != 0
    assert all((var / entry).exists() for entry in DEMO_ENTRIES)
    assert "YES=1" in result.stderr


def test_with_a_database_url_it_deletes_nothing(tmp_path: Path) -> None:
    var = var_with_demo_data(tmp_path)
    result = reset(var, YES="1", DATABASE_URL="postgres://someone@db.example/ggzy")
    assert result.returncode != 0
    assert all((var / entry).exists() for entry in DEMO_ENTRIES)
    assert "DATABASE_URL" in result.stderr
