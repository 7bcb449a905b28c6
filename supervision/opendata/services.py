"""Writing releases: one per public change, inside the transaction that made the change.

``release_publish`` is called by the receivers (receivers.py) while the sender holds the
section's lock, so the release commits or rolls back with the change it describes: a crash
can neither lose a release nor write one for a change that did not happen. It is idempotent:
a release is written only when the public snapshot differs from the section's last one, so a
repeated tick or signal adds nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction

from ggzy import clock
from ggzy_core.canonical import canonical
from supervision import ledger
from supervision.opendata import mapping, validation
from supervision.opendata.models import FeedCounter, Release
from trading.models import Section, SectionStatus

# Statuses never published: a draft is nobody's business but its author's.
UNPUBLISHED = frozenset({SectionStatus.DRAFT})


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def _next_order() -> int:
    """The next change order, under the counter row's lock (held until commit)."""
    counter, _created = FeedCounter.objects.get_or_create(pk=1)
    counter = FeedCounter.objects.select_for_update().get(pk=counter.pk)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


def release_publish(*, section: Section, tags: list[str]) -> Release | None:
    """A release of what is public about ``section`` now, tagged ``tags`` (OCDS releaseTag).
    None when the section is unpublished or nothing public changed since its last release."""
    with transaction.atomic():
        fresh = Section.objects.select_related("project__tenderee", "project__agency").get(
            pk=section.pk
        )
        if fresh.status in UNPUBLISHED or fresh.published_at is None:
            return None
        body = mapping.release_body(fresh)
        digest = _digest(body)
        last = Release.objects.filter(section=fresh).order_by("-number").first()
        if last is not None and last.digest == digest:
            return None
        number = (last.number if last else 0) + 1
        now = clock.now()
        release_id = f"{body['ocid']}-{number:04d}"
        document = {"id": release_id, "date": mapping.when(now), "tag": list(tags), **body}
        if settings.OCDS_VALIDATE_RELEASES:
            # On for the whole test run (tests/conftest.py): every release any test makes is
            # checked against the official schema; an invalid one fails that test.
            validation.check(document, "release")
        release = Release.objects.create(
            section=fresh,
            number=number,
            ocid=body["ocid"],
            release_id=release_id,
            date=now,
            tags=list(tags),
            content=canonical(document),
            digest=digest,
            order=_next_order(),
        )
        ledger.append(
            "opendata.release.published",
            actor=ledger.SYSTEM,
            target=fresh,
            data={"release_id": release_id, "tags": list(tags), "order": release.order},
        )
        return release
