"""Validation against the official OCDS schema, offline (supervision/opendata/schema/).

Releases, release packages and record packages are checked with jsonschema's draft-4
validator (the OCDS schema's draft) and format checking for ``date-time`` and ``uri``; the
vendored schemas are registered under their own ids, so nothing is ever fetched. Records are
compiled with ocdsmerge's ``Merger`` built from the same vendored schema (a dict, never a URL:
ocdsmerge would otherwise download the latest schema).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ocdsmerge
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
RELEASE_SCHEMA_FILE = SCHEMA_DIR / "release-schema-1__1__4.json"
# The SHA-256 of the vendored file as it is in the ocdsmerge 0.8.0 sdist (schema/README.md).
RELEASE_SCHEMA_SHA256 = "4226ea4a3016030171db667166c11ab5c22777de5f75a44aa601a610809b5696"
SCHEMAS = {
    "release": RELEASE_SCHEMA_FILE,
    "release-package": SCHEMA_DIR / "release-package-schema.json",
    "record-package": SCHEMA_DIR / "record-package-schema.json",
}

# RFC 3339 date-time, as OCDS requires (an offset or Z, seconds present).
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
FORMATS = FormatChecker(formats=())


class InvalidOCDS(ValueError):
    """A document the platform built does not validate: a programming error, never input."""


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


@cache
def schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMAS[kind].read_text(encoding="utf-8"))
    return loaded


@cache
def _registry() -> Registry:
    release = schema("release")
    return Registry().with_resource(release["id"], DRAFT4.create_resource(release))


@cache
def validator(kind: str) -> Draft4Validator:
    return Draft4Validator(schema(kind), registry=_registry(), format_checker=FORMATS)


def errors(document: Any, kind: str) -> list[str]:
    """Every schema error in ``document`` as ``path: message`` (empty when valid)."""
    found = sorted(validator(kind).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in found]


def check(document: Any, kind: str) -> None:
    problems = errors(document, kind)
    if problems:
        raise InvalidOCDS(f"invalid OCDS {kind}: " + "; ".join(problems[:10]))


@cache
def merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=schema("release"))


def compile_release(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one contracting process (ocdsmerge, the vendored schema)."""
    compiled: dict[str, Any] = merger().create_compiled_release(releases)
    return compiled
