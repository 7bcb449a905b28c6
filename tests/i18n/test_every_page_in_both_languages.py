"""Every page every role may open, once in Chinese and once in English (issue 13): an
English page shows no Chinese outside elements marked ``lang="zh…"``, the world's own data
and bilingual refusals; a Chinese page shows none of the catalog's English messages and no
English nobody wrapped for translation; every date-time a page shows carries its zone
(Beijing time). A refusal (403) and a missing page (404) are read too. See docs/i18n.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.urls import reverse

from tests.i18n.pages import CJK, Piece, catalog, literal_parts, read, user_data
from tests.security import matrix
from tests.security.conftest import MakeWorld
from tests.security.objects import kwargs_for
from tests.security.requests import Caller, path_of
from tests.security.routes import Route, http_routes
from tests.security.world import ROLES, STAGES, World

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
# A date and time of day (2026-12-01 16:00, …16:00:05, …16:00:05.123456, Dec. 1, 2026,
# 4 p.m.) and what must follow it: the zone, or an explicit UTC offset (data as recorded).
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
    r"|\b\w{3,9}\.? \d{1,2}, \d{4}, \d{1,2}(?::\d{2})? [ap]\.m\."
)
ZONE = re.compile(r"\s*(北京时间|Beijing time|Z\b|[+-]\d{2}:?\d{2}\b)")
# What a zh-hans page may show in English: an English message of fewer than two words,
# or one whose translation is itself ("SM3").
MIN_WORDS = 2
WORD = re.compile(r"[A-Za-z]{2,}")
# Django's own texts that its zh_Hans catalog turns Chinese when a module is imported (not
# ours to fix; its admin only): a many-to-many relation's name, a password form's help.
DJANGO_IMPORT_TIME = re.compile(r"^[\w-]+关系: |^用户是否能够使用密码进行认证")


@dataclass
class Page:
    stage: str
    role: str
    language: str
    path: str
    status: int
    pieces: list[Piece] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.path} ({self.role}, {self.status})"


Found = dict[str, set[str]]  # what was found → where


def report(found: Found) -> list[str]:
    """One line per text found, with up to three of the pages showing it."""
    return [
        f"{what}  — {len(pages)} page(s), e.g. {', '.join(sorted(pages)[:3])}"
        for what, pages in sorted(found.items())
    ]


def bilingual(text: str) -> bool:
    """A refusal or status in both languages, "中文 / English" (ggzy.errors.DomainError):
    read as it is on either page."""
    chinese, _, english = text.partition(" / ")
    return bool(english and CJK.search(chinese) and WORD.search(english)) and not CJK.search(
        english
    )


def english_messages() -> list[tuple[str, re.Pattern[str]]]:
    """The catalog's English texts a Chinese page must not show: each literal part of two
    words or more of a message not translated, or translated into something else than
    itself ("SM3" stays "SM3")."""
    found: dict[str, re.Pattern[str]] = {}
    for msgid, msgstr in catalog().items():
        if msgstr == msgid:
            continue
        for part in literal_parts(msgid):
            if len(WORD.findall(part)) >= MIN_WORDS and part not in found:
                found[part] = re.compile(rf"(?<![A-Za-z]){re.escape(part)}(?![A-Za-z])")
    return sorted(found.items(), key=lambda item: len(item[0]), reverse=True)


def html_pages(route: Route) -> bool:
    """API routes answer JSON; they are checked by their own tests."""
    return getattr(route.callback, "cls", None) is None and not route.key.startswith("api:")


def allowed(route: Route, stage: str) -> Iterator[str]:
    """The roles the matrix lets GET the route at the stage."""
    row = matrix.ROWS.get(route.key)  # a route without a row fails the matrix's own test
    cells = row.cells.get("GET") if row else None
    if cells is None:
        return
    for role, cell in zip(ROLES, cells[STAGES.index(stage)], strict=True):
        if cell == "A":
            yield role


def visit(world: World) -> list[Page]:
    """Every HTML page each allowed role gets, in both languages, plus a refusal and a
    missing page for each language."""
    callers = {
        (role, language): Caller(world.people[role]) for role in ROLES for language in LANGUAGES
    }  # a session per language: a message made in one is not shown in the other
    refused = reverse("supervision:overview")  # the regulators' portal: 403 for a bidder
    wanted: list[tuple[str, str]] = [("anonymous", "/no-such-page/"), ("other_bidder", refused)]
    for route in http_routes():
        if not html_pages(route):
            continue
        path = path_of(route, kwargs_for(route.key, route.pattern, world))
        wanted.extend((role, path) for role in allowed(route, world.stage))
    pages = []
    for role, path in wanted:
        for language in LANGUAGES:
            caller = callers[(role, language)]
            caller.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            response = caller.send("GET", path)
            content_type = response.get("Content-Type", "")
            if response.streaming or not content_type.startswith("text/html"):
                continue
            page = Page(world.stage, role, language, path, response.status_code)
            page.pieces = read(response.content.decode())
            pages.append(page)
    return pages


def without(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


def chinese_in_english(pages: list[Page], data: list[str]) -> list[str]:
    leaks: Found = {}
    for page in pages:
        if page.language != "en":
            continue
        for piece in page.pieces:
            if piece.lang.startswith("zh") or bilingual(piece.text):
                continue
            if page.path.startswith("/admin/") and DJANGO_IMPORT_TIME.match(piece.text):
                continue
            if CJK.search(without(piece.text, data)):
                leaks.setdefault(f"{piece.where}: {piece.text[:200]!r}", set()).add(page.where())
    return report(leaks)


def english_in_chinese(pages: list[Page], data: list[str]) -> list[str]:
    messages = english_messages()
    leaks: Found = {}
    for page in pages:
        if page.language != "zh-hans":
            continue
        for piece in page.pieces:
            if piece.lang.startswith("en") or bilingual(piece.text):
                continue
            text = without(piece.text, data)
            for part, pattern in messages:
                if part in text and pattern.search(text):
                    what = f"{part!r} in {piece.where}: {piece.text[:200]!r}"
                    leaks.setdefault(what, set()).add(page.where())
                    break
    return report(leaks)


ENGLISH_RUN = re.compile(r"(?<![\w./-])[A-Za-z][a-z]+(?:[ ,;:'’]+[a-z]{2,}){2,}")


def english_outside_the_catalog(pages: list[Page], data: list[str]) -> list[str]:
    """Hard-coded English (three words or more) on a Chinese page: a string nobody wrapped
    for translation, which the catalog therefore does not know."""
    leaks: Found = {}
    for page in pages:
        if page.language != "zh-hans" or page.path.startswith("/admin/"):
            continue
        for piece in page.pieces:
            if piece.code or piece.lang.startswith("en") or bilingual(piece.text):
                continue
            found = ENGLISH_RUN.search(without(piece.text, data))
            if found:
                what = f"{found.group()!r} in {piece.where}: {piece.text[:200]!r}"
                leaks.setdefault(what, set()).add(page.where())
    return report(leaks)


def times_without_zone(pages: list[Page]) -> list[str]:
    bare: Found = {}
    for page in pages:
        if page.path.startswith("/admin/"):
            continue  # Django's admin, the staff's back office: its own formats (docs/i18n.md)
        for piece in page.pieces:
            for match in DATE_TIME.finditer(piece.text):
                if not ZONE.match(piece.text, match.end()):
                    what = f"{page.language} {piece.where}: {piece.text[:200]!r}"
                    bare.setdefault(what, set()).add(page.where())
    return report(bare)


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_every_page_reads_in_the_language_asked_for(stage: str, world_at: MakeWorld) -> None:
    world = world_at(stage)
    pages = visit(world)
    data = user_data()
    assert {page.language for page in pages} == set(LANGUAGES)
    assert {page.status for page in pages} >= {200, 403, 404}
    assert len({page.path for page in pages}) > 100  # the whole site, not a broken world
    problems = {
        "Chinese on English pages": chinese_in_english(pages, data),
        "the catalog's English on Chinese pages": english_in_chinese(pages, data),
        "English no one wrapped, on Chinese pages": english_outside_the_catalog(pages, data),
        "times without their zone": times_without_zone(pages),
    }
    found = "\n".join(
        f"{what}:\n  " + "\n  ".join(leaks) for what, leaks in problems.items() if leaks
    )
    if found:
        pytest.fail(found, pytrace=False)
