"""`manage.py check --deploy` is clean under production settings: DEBUG off, a real secret
key, the platform signing key file, behind the TLS-terminating proxy (what `make
deploy-check` runs in CI)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Warnings owned by other work, not by the deployment settings, tolerated for a while: none
# (every API view now describes its answers, so drf_spectacular.W001/W002 are gone). The
# check must be entirely clean.
NOT_SETTINGS: set[str] = set()


def deploy_check(tmp_path: Path, **extra: str) -> tuple[int, str, set[str]]:
    key = tmp_path / "platform-signing.pem"
    key.write_text("settings only check that the file exists")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEBUG", "SECURE_", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "GGZY_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PLATFORM_SIGNING_KEY_FILE": str(key),
            "ALLOWED_HOSTS": "ggzy.example.cn",
            "CSRF_TRUSTED_ORIGINS": "https://ggzy.example.cn",
            **extra,
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    issues = set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", output))
    return result.returncode, output, issues


def test_the_deploy_check_is_clean_under_production_settings(tmp_path: Path) -> None:
    code, output, issues = deploy_check(tmp_path)
    assert not issues - NOT_SETTINGS, output
    if not issues:
        assert code == 0, output
        assert "no issues" in output


def test_the_deploy_check_would_catch_a_weakened_setting(tmp_path: Path) -> None:
    """The harness is not blind: dropping HSTS for subdomains is reported."""
    code, output, issues = deploy_check(tmp_path, SECURE_HSTS_INCLUDE_SUBDOMAINS="false")
    assert code != 0
    assert "security.W005" in issues, output
