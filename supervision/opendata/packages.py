"""Release and record packages: the OCDS package metadata around stored releases.

Packages are built from the stored canonical releases and written as canonical JSON (sorted
keys, no spaces), so the same releases always give the same bytes. ``publishedDate`` is the
date of the newest release in the package ("the date of the last change to the underlying
contents", OCDS), never the time of the request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from ggzy import clock
from supervision.opendata import mapping, validation
from supervision.opendata.models import Release

VERSION = "1.1"


def release_of(stored: Release) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(bytes(stored.content))
    return loaded


def metadata(*, uri: str, policy: str, releases: Sequence[Release]) -> dict[str, Any]:
    newest = max((r.date for r in releases), default=None)
    publisher: dict[str, str] = {"name": settings.OCDS_PUBLISHER_NAME}
    if settings.OCDS_PUBLISHER_URI:
        publisher["uri"] = settings.OCDS_PUBLISHER_URI
    return {
        "uri": uri,
        "version": VERSION,
        "publishedDate": mapping.when(newest or clock.now()),
        "publisher": publisher,
        "license": settings.OCDS_LICENSE,
        "publicationPolicy": policy,
        "extensions": [mapping.BID_EXTENSION],
    }


def release_package(*, uri: str, policy: str, releases: Sequence[Release]) -> dict[str, Any]:
    return {
        **metadata(uri=uri, policy=policy, releases=releases),
        "releases": [release_of(r) for r in releases],
    }


def record_package(
    *, uri: str, policy: str, feed: str, releases: Sequence[Release]
) -> dict[str, Any]:
    """One record: every release of the process embedded, and the compiled release."""
    documents = [release_of(r) for r in releases]
    record = {
        "ocid": releases[0].ocid,
        "releases": documents,
        "compiledRelease": validation.compile_release(documents),
    }
    return {
        **metadata(uri=uri, policy=policy, releases=releases),
        "packages": [feed],
        "records": [record],
    }
