"""Chinese first, English on request: the pages, and the shipped translation catalogue."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests import tools

PO_FILE = Path(django_settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
MSGFMT = shutil.which("msgfmt")
requires_msgfmt = tools.requires(MSGFMT, "needs GNU gettext's msgfmt (apt-get install gettext)")


@pytest.fixture(autouse=True)
def _plain_http(settings: Settings) -> None:
    """The test client speaks plain http; without DEBUG the site would redirect to https."""
    settings.SECURE_SSL_REDIRECT = False


def _home(client: Client, **headers: str) -> str:
    response = client.get(reverse("home"), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_page_speaks_chinese_by_default(client: Client) -> None:
    page = _home(client)
    assert '<html lang="zh-hans">' in page
    assert "登录" in page
    assert "单位注册" in page
    assert "Log in" not in page


def test_a_visitor_who_picks_english_gets_english(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = _home(client)
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "登录" not in page


def test_a_visitor_can_switch_back_to_chinese(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "登录" in _home(client)


def test_a_browser_asking_for_english_gets_english(client: Client) -> None:
    page = _home(client, accept_language="en-GB,en;q=0.9")
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "登录" not in page


def test_a_browser_asking_for_mainland_chinese_gets_simplified_chinese(client: Client) -> None:
    page = _home(client, accept_language="zh-CN,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-hans">' in page
    assert "登录" in page


# --- the catalogue ---------------------------------------------------------------------


@dataclass
class PoEntry:
    msgid: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def _parse_po(path: Path) -> list[PoEntry]:
    """A minimal reader for the .po files makemessages writes (stdlib only, no polib)."""
    entries: list[PoEntry] = []
    entry = PoEntry()
    current: list[str] | None = None
    parts: dict[str, list[str]] = {}

    def finish() -> None:
        nonlocal entry, parts
        if parts:
            entry.msgid = "".join(parts.get("msgid", []))
            entry.msgstrs = ["".join(v) for k, v in parts.items() if k.startswith("msgstr")]
            entries.append(entry)
        entry, parts = PoEntry(), {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if any(k.startswith("msgstr") for k in parts):
                finish()  # a comment opens the next entry
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert current is not None, f"continuation line without keyword: {raw!r}"
            current.append(ast.literal_eval(line))
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in parts):
            finish()
        current = parts.setdefault(keyword, [])
        current.append(ast.literal_eval(value))
    finish()
    return entries


def test_the_chinese_catalogue_is_complete() -> None:
    entries = _parse_po(PO_FILE)
    messages = [entry for entry in entries if entry.msgid]
    assert len(messages) > 50, "the parser found too few messages: is the .po intact?"
    assert not [e.msgid for e in entries if "fuzzy" in e.flags], "fuzzy entries left"
    assert not [e.msgid for e in messages if not all(e.msgstrs)], "untranslated entries"
    assert not [e for e in entries if e.obsolete], "obsolete (#~) entries: run --no-obsolete"


@requires_msgfmt
def test_msgfmt_counts_only_translated_messages() -> None:
    assert MSGFMT is not None
    result = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
        capture_output=True,
        text=True,
        check=True,
        env={"LC_ALL": "C"},
    )
    # Anything fuzzy or untranslated adds ", N fuzzy translations, M untranslated messages".
    assert re.fullmatch(r"\d+ translated messages?\.", result.stderr.strip()), result.stderr


def _catalogue(path: Path) -> dict[object, str]:
    with path.open("rb") as mo:
        # GNUTranslations keeps every (msgid -> msgstr) pair, header included, in _catalog.
        catalogue: dict[object, str] = vars(gettext.GNUTranslations(mo))["_catalog"]
    return catalogue


@requires_msgfmt
def test_the_shipped_mo_file_is_compiled_from_the_current_po(tmp_path: Path) -> None:
    assert MSGFMT is not None
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "--check-format", "-o", str(fresh), str(PO_FILE)], check=True)
    assert MO_FILE.is_file(), "locale/zh_Hans/LC_MESSAGES/django.mo is missing"
    assert _catalogue(MO_FILE) == _catalogue(fresh), (
        "django.mo is stale: run `manage.py compilemessages --ignore=.venv` and commit it"
    )
