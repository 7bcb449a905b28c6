"""Production mode refuses to start on defaults; the embedded mode needs nothing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOT = "import django; django.setup(); print('started')"


def boot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PYTEST_XDIST_WORKER"}
    }
    clean.pop("PLATFORM_SIGNING_KEY_FILE", None)
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GGZY_VAR_DIR": str(tmp_path)})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", BOOT], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_with_debug_off_it_refuses_the_default_secret_key_and_a_missing_signing_key(
    tmp_path: Path,
) -> None:
    result = boot(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "PLATFORM_SIGNING_KEY_FILE" in result.stderr
    assert "started" not in result.stdout


def test_with_debug_off_it_names_a_signing_key_file_that_is_not_there(tmp_path: Path) -> None:
    result = boot(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        PLATFORM_SIGNING_KEY_FILE=str(tmp_path / "absent.pem"),
    )
    assert result.returncode != 0
    assert "absent.pem" in result.stderr and "SECRET_KEY" not in result.stderr.split("Missing:")[1]


def test_with_debug_off_and_everything_provided_it_starts(tmp_path: Path) -> None:
    key = tmp_path / "platform.pem"
    key.write_text("placeholder: settings only check that the file exists")
    result = boot(tmp_path, DEBUG="false", SECRET_KEY="s" * 50, PLATFORM_SIGNING_KEY_FILE=str(key))
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], "
    "s.CELERY_BROKER_URL)"
)


def show_backends(tmp_path: Path, **env: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
    }
    clean.update({"DEBUG": "true", "GGZY_VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    assert show_backends(tmp_path) == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "filesystem://localhost//",
    ]


def test_database_and_redis_urls_switch_to_postgresql_and_redis(tmp_path: Path) -> None:
    assert show_backends(
        tmp_path,
        DATABASE_URL="postgres://ggzy@db.example:5432/ggzy",
        REDIS_URL="redis://cache.example:6379/0",
    ) == [
        "django.db.backends.postgresql",
        "channels_redis.core.RedisChannelLayer",
        "redis://cache.example:6379/0",
    ]


BROADCAST = (
    "import django; django.setup(); from config.celery import app; app.control.ping(timeout=0.2)"
)


def test_the_embedded_broker_writes_only_under_the_var_directory(tmp_path: Path) -> None:
    """A broadcast with replies binds a fanout exchange: kombu's filesystem transport writes
    that binding to its control folder, which must not default to the working directory."""
    var, elsewhere = tmp_path / "var", tmp_path / "cwd"
    elsewhere.mkdir()
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
    }
    clean.update({"DEBUG": "true", "GGZY_VAR_DIR": str(var), "PYTHONPATH": str(ROOT)})
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", BROADCAST], cwd=elsewhere, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    assert (var / "celery" / "broker" / "control" / "reply.celery.pidbox.exchange").is_file()


def test_the_server_refuses_even_when_launched_with_a_read_only_commands_name(
    tmp_path: Path,
) -> None:
    """Only manage.py / django-admin running verify_ledger or export_ledger skip the refusal:
    a process of another name (daphne, celery) with the same words in its argv does not."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "PYTEST_XDIST_WORKER"}
    }
    clean.pop("PLATFORM_SIGNING_KEY_FILE", None)
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GGZY_VAR_DIR": str(tmp_path)})
    code = "import sys; sys.argv = ['daphne', 'verify_ledger']; " + BOOT
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "refuses to start with DEBUG off" in result.stderr
    assert "started" not in result.stdout
