"""Sealing a closed section's archive (docs/archive.md).

Two steps, so that no lock is held while the package is built:

1. ``archive_seal`` (centre staff, "seal now") or the chronograph's event (``ARCHIVE_AFTER``
   after the section closed) ledgers ``archive.requested`` and, after commit, queues the
   task;
2. the task (``archive_store``) builds the zip outside any lock, stores it under a name
   holding its SM3 (never overwritten), then in one short locked transaction records the
   ``Archive`` row, moves the section to ARCHIVED and ledgers ``archive.sealed``.

Both are safe to repeat: a second request or a late task finds the archive sealed and does
nothing. No code path deletes an archive: it is kept at least until ``retain_until``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.models import Person
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import times
from ggzy_core.gm.sm3 import sm3_hex
from supervision import ledger
from supervision.archive import access, builder
from supervision.archive.models import Archive
from supervision.models import LedgerEmbargo, LedgerEntry
from trading import chronograph, transitions
from trading.models import Section, SectionStatus

log = logging.getLogger(__name__)

# The statuses a section ends in; each is archived [E40: kept for the statutory period].
CLOSED = frozenset({SectionStatus.CONTRACTED, SectionStatus.FAILED, SectionStatus.CANCELLED})
# When to ask again if no worker sealed a requested archive (it died, the broker lost it).
RETRY_AFTER = dt.timedelta(hours=1)


def archive_seal(*, section: Section, actor: Person | None) -> None:
    """The centre's staff seal a closed section's archive now rather than wait for
    ``ARCHIVE_AFTER`` (``actor`` None: the platform's operator, ``manage.py seal_archive``).
    The package is built by a task after commit."""
    with transaction.atomic():
        locked = Section.objects.select_for_update().select_related("project").get(pk=section.pk)
        if actor is not None and not access.can_seal(actor, locked):
            raise DomainError(access.CENTRE_ONLY, code="forbidden")
        request_sealing(locked, actor=actor or ledger.SYSTEM)
        chronograph.reschedule(locked)


def request_sealing(section: Section, *, actor: Any) -> None:
    """Ledger the request and queue the task; the caller holds the section's lock."""
    if Archive.objects.filter(section=section).exists():
        raise DomainError(
            "该标段的电子档案已封存，可在档案列表下载 / This section's archive is sealed "
            "already: download it from the archive list",
            code="conflict",
        )
    if section.status not in CLOSED:
        raise DomainError(
            f"标段尚未结束（当前：{SectionStatus(section.status).label}），签订合同、流标或终止"
            f"后才能封存电子档案 / The section has not ended ({section.status}): an archive is "
            "sealed once it is contracted, failed or cancelled",
            code="conflict",
        )
    secret_until = bids_secret_until(section)
    if secret_until is not None:
        # Cancelled before its deadline: who bid stays secret until then, from an archive
        # too [E21, E27]; the chronograph seals it after that time.
        when = times.beijing(secret_until, milliseconds=False)
        raise DomainError(
            f"投标截止前投标信息保密，电子档案须在原投标截止时间（{when}）之后封存，届时将自动"
            f"封存 [E21] / Bids stay secret until the original deadline: the archive can be "
            f"sealed after {when}, and is then sealed automatically [E21]",
            code="conflict",
        )
    ledger.append("archive.requested", actor=actor, target=section, data={"section": section.code})
    section_id = section.pk
    actor_id = getattr(actor, "pk", None) if isinstance(actor, Person) else None
    transaction.on_commit(lambda: _queue(section_id, actor_id))


def bids_secret_until(section: Section) -> dt.datetime | None:
    """Until when the section's bid events are still sealed (``None``: not, or never
    published, so no bid exists)."""
    if section.published_at is None:
        return None
    until = (
        LedgerEmbargo.objects.filter(scope=section.embargo_scope)
        .values_list("until", flat=True)
        .first()
    )
    return until if until is not None and until > clock.now() else None


def _queue(section_id: int, actor_id: int | None) -> None:
    from supervision.archive.tasks import seal_archive

    try:
        seal_archive.delay(section_id, actor_id)
    except Exception:  # the chronograph asks again after RETRY_AFTER
        log.warning("section %s: archive task not queued", section_id)


def closed_at(section: Section) -> dt.datetime | None:
    """When the section entered its closing status, as the ledger recorded it."""
    return (
        LedgerEntry.objects.filter(
            target_type=Section._meta.label_lower,
            target_id=str(section.pk),
            action=f"trading.section.{section.status}",
        )
        .order_by("-sequence")
        .values_list("recorded_at", flat=True)
        .first()
    )


def _requested_at(section: Section) -> dt.datetime | None:
    return (
        LedgerEntry.objects.filter(
            target_type=Section._meta.label_lower,
            target_id=str(section.pk),
            action="archive.requested",
        )
        .order_by("-sequence")
        .values_list("recorded_at", flat=True)
        .first()
    )


def sealing_due(section: Section) -> dt.datetime | None:
    """For the chronograph: ``ARCHIVE_AFTER`` after closing, or a retry after a request
    that no worker carried out."""
    if section.status not in CLOSED or Archive.objects.filter(section=section).exists():
        return None
    secret_until = bids_secret_until(section)
    requested = _requested_at(section)
    if requested is not None:
        due = requested + RETRY_AFTER
    else:
        closed = closed_at(section)
        if closed is None:
            return None
        due = closed + settings.ARCHIVE_AFTER
    return max(due, secret_until) if secret_until is not None else due


def seal_when_due(section: Section) -> None:
    """The chronograph's event (it holds the section's lock). A repeated tick finds the
    request ledgered and waits for the retry time."""
    if section.status not in CLOSED or Archive.objects.filter(section=section).exists():
        return
    if bids_secret_until(section) is None:
        request_sealing(section, actor=ledger.SYSTEM)


def archive_store(*, section_id: int, actor_id: int | None = None) -> str:
    """Build, store and record one section's archive (the task's work). Returns what
    happened: "sealed", "done" (sealed already) or "open" (not closed, or suspended)."""
    section = Section.objects.select_related("project").get(pk=section_id)
    if Archive.objects.filter(section=section).exists():
        return "done"
    if section.status not in CLOSED or section.suspended_at is not None:
        return "open"
    if bids_secret_until(section) is not None:
        return "open"
    package = builder.build(section, sealed_at=clock.now())
    ledger.make_durable()  # the package names ledger entries: never one a crash could take back
    sm3 = sm3_hex(package.data)
    name = _store(section, package.data, sm3)
    with transaction.atomic():
        locked = Section.objects.select_for_update().get(pk=section_id)
        if Archive.objects.filter(section=locked).exists():
            return "done"  # another run sealed first; its package is the archive
        if locked.status != section.status or locked.suspended_at is not None:
            return "open"
        actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
        archive = Archive.objects.create(
            section=locked,
            name=name,
            sm3=sm3,
            sha256=hashlib.sha256(package.data).hexdigest(),
            size=len(package.data),
            files=package.files,
            entries=package.entries,
            closed_as=locked.status,
            key_fingerprint=package.key_fingerprint,
            sealed_at=package.sealed_at,
            sealed_by=actor,
            retain_until=package.retain_until,
        )
        who = actor or ledger.SYSTEM
        transitions.apply(locked, SectionStatus.ARCHIVED, actor=who, data={"archive_sm3": sm3})
        ledger.append(
            "archive.sealed",
            actor=who,
            target=archive,
            data={
                "section": locked.code,
                "sm3": sm3,
                "size": archive.size,
                "files": archive.files,
                "entries": archive.entries,
                "retain_until": archive.retain_until,
            },
        )
        chronograph.reschedule(locked)
    return "sealed"


def _store(section: Section, data: bytes, sm3: str) -> str:
    """Store the package under a name holding its SM3. A name that exists holds the same
    bytes, so it is kept, never overwritten; S3 bucket versioning (docs/operations.md)
    keeps every version of every object where it is configured."""
    code = re.sub(r"[^A-Za-z0-9_-]", "_", section.code)
    name = f"archives/{code}/{code}-{sm3}.zip"
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(data))


def open_package(archive: Archive) -> Any:
    """The stored package, for a download."""
    return default_storage.open(archive.name, "rb")
