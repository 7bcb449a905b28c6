"""What a person reads on a page: visible text and the texts of json_script data, each
piece with the language an element around it declares (``lang="zh-Hans"`` on a Chinese
term or half of a bilingual refusal, ``lang="en"`` on its English half), "" if none does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
CODE = {"code", "kbd", "samp", "pre"}
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]+>")


@dataclass(frozen=True)
class Piece:
    text: str
    lang: str  # the declared language of the nearest element inside <html> that has one
    where: str  # "text", an attribute's name, or "json"
    code: bool = False  # inside code, kbd, samp, pre or class="mono": commands, numbers, keys


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, bool]] = []  # (tag, declared language, code)
        self.pieces: list[Piece] = []
        self.script: str | None = None  # "json" inside json_script data, "skip" other code
        self.buffer: list[str] = []

    @property
    def lang(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    @property
    def code(self) -> bool:
        return bool(self.stack) and self.stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        declared = values.get("lang")
        lang = declared.lower() if declared is not None else self.lang
        if tag == "html":
            lang = ""  # the page's own language is the one asked for
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.pieces.append(Piece(str(values[name]), lang, name))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.pieces.append(Piece(str(values["value"]), lang, "value"))
        if tag in ("script", "style"):
            self.script = "json" if values.get("type") == "application/json" else "skip"
            self.buffer = []
        code = self.code or tag in CODE or "mono" in (values.get("class") or "").split()
        if tag not in VOID:
            self.stack.append((tag, lang, code))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.script is not None:
            if self.script == "json":
                for text in _strings(json.loads("".join(self.buffer))):
                    self.pieces.append(Piece(text, self.lang, "json"))
            self.script = None
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.buffer.append(data)
        elif data.strip():
            self.pieces.append(Piece(" ".join(data.split()), self.lang, "text", self.code))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def read(html: str) -> list[Piece]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.pieces


def catalog() -> dict[str, str]:
    """The catalog's English messages and their Chinese ("" when untranslated or fuzzy:
    Django then shows the English), read from django.po — the source of truth, so that a
    message nobody translated, or a catalog nobody compiled, is seen too."""
    path = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    found: dict[str, str] = {}
    for entry in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current = ""
        fuzzy = False
        for line in entry.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
            elif " " in line:
                current, _, quoted = line.partition(" ")
                fields[current] = json.loads(quoted)
        msgid = fields.get("msgid")
        if msgid:
            found[msgid] = "" if fuzzy else fields.get("msgstr", fields.get("msgstr[0]", ""))
    return found


def literal_parts(text: str) -> list[str]:
    """The parts of a message a page shows as they are: placeholders and markup cut out,
    whitespace as on the page."""
    return [" ".join(part.split()) for part in PLACEHOLDER.split(text) if part.strip()]


def _json_strings(value: Any) -> list[str]:
    return [text for text in _strings(value) if CJK.search(text)]


def user_data() -> list[str]:
    """Every text the world's people typed or the fixtures named (organisations, projects,
    sections, objections…; Django's permission names), longest first: a page shows them as
    they are in either language. English data counts from two words on."""
    found: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False):
                continue
            if isinstance(field, models.JSONField):  # the ledger's data, a bid's opening sheet
                for value in model._default_manager.values_list(field.name, flat=True):
                    found.update(" ".join(text.split()) for text in _json_strings(value))
            elif isinstance(field, models.CharField | models.TextField):
                rows = model._default_manager.values_list(field.name, flat=True).distinct()
                for value in rows:
                    if isinstance(value, str) and (CJK.search(value) or len(value.split()) > 1):
                        found.add(" ".join(value.split()))
    # The deposit account as the bank names it (config/settings.py): a name, not prose.
    found.update((settings.BANK_COLLECTION_NAME, settings.BANK_NAME))
    return sorted(found, key=len, reverse=True)
