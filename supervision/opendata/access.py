"""Which releases anyone may read: every stored one (a release is written only for a public
change of a published section, services.py), looked up here and nowhere else. A release or
record that does not exist is a 404 with a bilingual message, like any missing page."""

from __future__ import annotations

from django.db.models import QuerySet

from ggzy.errors import DomainError
from supervision.opendata.models import Release


def public_releases() -> QuerySet[Release]:
    return Release.objects.all()


def release_for(release_id: str) -> Release:
    release = public_releases().filter(release_id=release_id[:160]).first()
    if release is None:
        raise DomainError(
            "没有此编号的发布，请从开放数据发布流中查找 / No release has this id: find it in the "
            "open-data release feed (/opendata/releases.json)",
            code="not_found",
        )
    return release


def releases_of(ocid: str) -> list[Release]:
    """Every release of one contracting process, in the order they were made."""
    releases = list(public_releases().filter(ocid=ocid[:120]).order_by("number"))
    if not releases:
        raise DomainError(
            "没有此开放合同编号（OCID）的记录；草稿标段不公开，请从发布流中查找 / No record has "
            "this OCID (draft sections are never published): find it in the release feed "
            "(/opendata/releases.json)",
            code="not_found",
        )
    return releases
