"""Closing the hall: the section moves on to evaluation, and the opening record (PDF + JSON)
is generated, signed by the platform, hashed into the ledger and published [E32, E40].

The close is quick: it commits the stage change and asks a task (``realtime.tasks``) for the
record. The task builds the record outside any lock or transaction — a PDF of long text
takes seconds, and on SQLite a transaction holds the one write lock of the whole platform —
then stores it in a short transaction. It is idempotent; if no worker stores the record, the
chronograph asks again (``record_due`` / ``retry_record``). Issue 7."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction

from ggzy import clock, files, signing
from ggzy.errors import DomainError
from ggzy_core import record
from realtime import decryption, events, record_content, record_pdf, rules
from realtime.hall import locked
from realtime.models import Hall, HallStage, OpeningStatus
from supervision import ledger
from trading import chronograph, transitions
from trading.models import Section, SectionStatus


def refuse_unanswered(hall: Hall) -> None:
    """The hall closes only once every objection raised in it has its answer [R44]."""
    unanswered = hall.objections.filter(answered_at__isnull=True).count()
    if unanswered:
        raise DomainError(
            f"还有 {unanswered} 条异议未答复，主持人或招标人当场答复后才能结束开标 [R44] / "
            f"{unanswered} objection(s) are still unanswered: the host or the tenderee answers "
            "them on the spot, then the hall can close [R44]",
            code="conflict",
        )


def close(hall: Hall, *, actor: Any) -> None:
    """On entering closed (realtime/stages.py; the caller holds the hall's lock): the section
    moves on to evaluation and the record is asked for, built after commit. Nothing heavy
    happens here."""
    transitions.apply(hall.section, SectionStatus.EVALUATION, actor=actor)
    request_record(hall)


def request_record(hall: Hall) -> None:
    """Ask a worker for the record after commit (the caller holds the hall's lock)."""
    hall.record_requested_at = clock.now()
    hall.save(update_fields=["record_requested_at"])
    chronograph.reschedule(hall.section)  # the retry is a time event of the section
    hall_id = hall.pk
    transaction.on_commit(lambda: publish_record_task.delay(hall_id))


def record_due(section: Section) -> dt.datetime | None:
    """For the chronograph: when to ask again for a closed hall's record still missing."""
    hall = (
        Hall.objects.filter(section=section, stage=HallStage.CLOSED, record_signature__isnull=True)
        .only("record_requested_at", "stage_started_at")
        .first()
    )
    if hall is None:
        return None
    return (hall.record_requested_at or hall.stage_started_at) + rules.RECORD_RETRY_AFTER


def retry_record(section: Section) -> None:
    """The chronograph's event (it holds the section's lock): no worker stored the record in
    time (it died, or the broker lost the task); ask again. Asking twice is harmless."""
    hall = locked(Hall.objects.get(section=section))
    if hall.stage == HallStage.CLOSED and not hall.record_signature:
        request_record(hall)


def publish_record(hall_id: int) -> str:
    """Build, sign, store and publish a closed hall's record. Safe to run twice and to retry:
    a record already stored is kept. Returns what happened ("signed", "done", "open")."""
    hall = Hall.objects.select_related("section", "section__project", "host").get(pk=hall_id)
    if hall.stage != HallStage.CLOSED:
        return "open"
    if hall.record_signature:
        return "done"
    # Outside any transaction and lock: once the hall is closed nothing the record reads
    # changes (no objection, answer, confirmation or opening can be added or altered), so
    # reading it without a lock is consistent, and no one waits for the PDF.
    opening_record = record_content.build(hall)
    json_bytes = record.record_json(opening_record)
    pdf_bytes = record_pdf.render_pdf(opening_record)
    signed = record.sign_record(
        json_bytes, signing.platform_sign, signing.platform_public_key().fingerprint()
    )
    return _store_record(hall_id, json_bytes=json_bytes, pdf_bytes=pdf_bytes, signed=signed)


def _store_record(
    hall_id: int, *, json_bytes: bytes, pdf_bytes: bytes, signed: dict[str, str]
) -> str:
    """The short transaction: store, ledger and announce the record. The PDF is written to
    storage once the record is known to be missing, and deleted again if the transaction
    does not commit (``ggzy.files``), so that no run leaves an orphan file."""
    with files.atomic():
        section_id = Hall.objects.values_list("section_id", flat=True).get(pk=hall_id)
        # The chronograph's order (section, then hall): no deadlock with a sweep.
        section = Section.objects.select_for_update().get(pk=section_id)
        hall = locked(hall_id)
        if hall.record_signature:
            return "done"  # another run stored it first
        hall.record_pdf.name = files.save(
            hall.record_pdf.storage,
            f"opening-records/{section.code}-opening-record.pdf",
            ContentFile(pdf_bytes),
        )
        hall.record_json = json_bytes
        hall.record_signature = signed
        hall.save(update_fields=["record_json", "record_signature", "record_pdf"])
        ledger.append(
            "realtime.record.signed", actor=ledger.SYSTEM, target=section, data=dict(signed)
        )
        events.emit(hall, "record", {"record_sm3": signed["record_sm3"]})
        chronograph.reschedule(section)  # nothing more to retry
    return "signed"


# The task lives with its service (its name is the one it always had): the service queues
# it, so a separate tasks module would import this one and be imported by it.
@shared_task(
    name="realtime.tasks.publish_record",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def publish_record_task(hall_id: int) -> str:
    """The opening record of a closed hall, built outside any lock. Safe to run twice;
    retried on failure, and re-queued by the chronograph if every try fails."""
    try:
        return publish_record(hall_id)
    except Hall.DoesNotExist:
        return "gone"


def opened_bids(section: Section) -> list[dict[str, Any]]:
    """The bids the closed hall opened, for the evaluation (``trading.signals.opened_bids``):
    number, bidder, the price read out, the sheet and the decrypted files' storage names."""
    hall = Hall.objects.filter(section=section, stage=HallStage.CLOSED).first()
    if hall is None:
        return []
    bids = []
    for opening in hall.openings.filter(status=OpeningStatus.DECRYPTED).select_related(
        "bid__organisation", "bid__section"
    ):
        sheet = opening.sheet or {}
        bids.append(
            {
                "number": opening.number,
                "credit_code": opening.bid.organisation.credit_code,
                "price": sheet.get("price"),
                "sheet": sheet,
                "files": decryption.stored_files(opening),
            }
        )
    return bids
