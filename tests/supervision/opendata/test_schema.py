"""The official schema, vendored: the file is the one the ocdsmerge 0.8.0 sdist ships, the
package schemas refer to it, nothing is fetched, and the test run validates every release
it makes when the release is written."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.conf import settings

from supervision.opendata import mapping, services, validation
from supervision.opendata.models import Release
from trading.models import Section

RELEASE_ID = "https://standard.open-contracting.org/schema/1__1__4/release-schema.json"


def test_the_vendored_release_schema_is_the_official_ocds_1_1_4_file() -> None:
    digest = hashlib.sha256(validation.RELEASE_SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest == validation.RELEASE_SCHEMA_SHA256
    assert validation.schema("release")["id"] == RELEASE_ID


def test_the_package_schemas_take_their_releases_from_the_vendored_schema() -> None:
    releases = validation.schema("release-package")["properties"]["releases"]
    records = validation.schema("record-package")["properties"]["records"]["items"]
    assert releases["items"] == {"$ref": RELEASE_ID}
    assert records["properties"]["compiledRelease"]["$ref"] == RELEASE_ID
    assert records["properties"]["releases"]["items"] == {"$ref": RELEASE_ID}


def test_a_release_that_breaks_the_schema_is_named_with_its_faults() -> None:
    faults = validation.errors(
        {"ocid": "x", "id": "1", "date": "2026-01-01 08:00", "tag": ["opened"]}, "release"
    )
    assert "(root): 'initiationType' is a required property" in faults
    assert "date: '2026-01-01 08:00' is not a 'date-time'" in faults
    assert any(fault.startswith("tag/0: 'opened' is not one of") for fault in faults)


def test_the_test_run_validates_every_release_when_it_is_written() -> None:
    assert getattr(settings, "OCDS_VALIDATE_RELEASES", False) is True


@pytest.mark.django_db
def test_an_invalid_release_is_refused_and_nothing_is_stored(
    published: Section, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Release.objects.count()
    real = mapping.release_body

    def broken(section: Section) -> dict[str, Any]:
        body = real(section)
        body["tender"]["status"] = "opened"  # not in the closed tenderStatus codelist
        return body

    monkeypatch.setattr(mapping, "release_body", broken)
    with pytest.raises(validation.InvalidOCDS, match="tender/status"):
        services.release_publish(section=published, tags=["tenderUpdate"])
    assert Release.objects.count() == before
