"""Tender documents, downloads, clarifications and the notices they send [L23, R21, E20-22]."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mass_mail
from django.db import transaction

from accounts.models import Person
from ggzy import beijing_time, clock, files
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import SM3
from supervision import ledger
from trading import chronograph
from trading.models import (
    Clarification,
    DocumentDownload,
    Notification,
    Section,
    SectionStatus,
    TenderDocument,
)
from trading.rules import (
    CLARIFICATION_BODY_MAX_CHARS,
    CLARIFICATION_NOTICE_MIN,
    CLARIFICATIONS_PER_SECTION_MAX,
    DOCUMENT_MAX_BYTES,
    DOCUMENT_VERSIONS_PER_SECTION_MAX,
    NAME_MAX_CHARS,
    check_count,
    check_length,
)
from trading.transitions import BEFORE_DEADLINE


def _store_document(
    *, section: Section, actor: Person, title: str, upload: UploadedFile
) -> TenderDocument:
    """A new version of the documents; SM3 computed while the file streams to storage."""
    check_length(title, limit=NAME_MAX_CHARS, field="title", what_zh="标题", what_en="title")
    if upload.size is None or upload.size == 0:
        raise DomainError("文件为空 / The file is empty", code="invalid", field="file")
    if upload.size > DOCUMENT_MAX_BYTES:
        limit_mb = DOCUMENT_MAX_BYTES // (1024 * 1024)
        raise DomainError(
            f"文件过大（上限{limit_mb} MB） / The file is too large ({limit_mb} MB limit)",
            code="too_long",
            field="file",
        )
    check_count(
        section.documents.count(),
        limit=DOCUMENT_VERSIONS_PER_SECTION_MAX,
        field="file",
        what_zh="本标段招标文件版本",
        what_en="versions of this section's documents",
        next_zh="，如需更改请联系交易中心",
        next_en=": ask the trading centre for help with further changes",
    )
    hasher = SM3()
    for chunk in upload.chunks():
        hasher.update(chunk)
    upload.seek(0)
    version = (
        section.documents.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    document = TenderDocument(
        section=section,
        version=version,
        title=title,
        original_name=(upload.name or "document")[:255],
        size=upload.size,
        sm3=hasher.hexdigest(),
        issued_at=clock.now(),
        issued_by=actor,
    )
    # Deleted again if the caller's transaction does not commit (ggzy.files).
    files.save_field(document.file, f"{section.code}-v{version}-{document.original_name}", upload)
    document.save()
    ledger.append(
        "trading.document.issued",
        actor=actor,
        target=document,
        data={
            "section": section.code,
            "version": version,
            "sm3": document.sm3,
            "size": document.size,
        },
    )
    return document


def document_issue(
    *, section: Section, actor: Person, title: str, upload: UploadedFile
) -> TenderDocument:
    """The documents of a draft. After publication, documents change only through a
    clarification (so that everyone who downloaded is told)."""
    with files.atomic():
        locked = Section.objects.select_for_update().get(pk=section.pk)
        if locked.status != SectionStatus.DRAFT:
            raise DomainError(
                "发布后修改招标文件须通过澄清/修改发出 / After publication, documents change "
                "through a clarification",
                code="conflict",
            )
        return _store_document(section=locked, actor=actor, title=title, upload=upload)


def current_document(section: Section) -> TenderDocument | None:
    return section.documents.order_by("-version").first()


@transaction.atomic
def document_download(
    *,
    document: TenderDocument,
    person: Person | None,
    address: str | None,
    notify_email: str = "",
) -> DocumentDownload:
    """Record a download; no registration needed [E20]. The record is hidden until the
    deadline [E21] and used to notify of clarifications [E22]."""
    section = document.section
    now = clock.now()
    if section.status not in BEFORE_DEADLINE or now < section.documents_from:
        raise DomainError(
            "招标文件当前不在发售期 / The tender documents are not being issued now",
            code="conflict",
        )
    organisation = person.organisation if person is not None and person.is_authenticated else None
    return DocumentDownload.objects.create(
        document=document,
        downloaded_at=now,
        network_address=address,
        person=person if organisation is not None else None,
        organisation=organisation,
        notify_email=notify_email,
    )


def clarification_issue(
    *,
    section: Section,
    actor: Person,
    title: str,
    body: str,
    upload: UploadedFile | None = None,
    new_deadline: dt.datetime | None = None,
) -> Clarification:
    """Issue a clarification or amendment. Less than 15 days before the deadline it must
    move the deadline to at least 15 days from now [R21, L23]; a deadline never moves earlier."""
    with files.atomic():  # the amended documents' file is deleted if this does not commit
        return _clarify(
            section=section,
            actor=actor,
            title=title,
            body=body,
            upload=upload,
            new_deadline=new_deadline,
        )


def _clarify(
    *,
    section: Section,
    actor: Person,
    title: str,
    body: str,
    upload: UploadedFile | None,
    new_deadline: dt.datetime | None,
) -> Clarification:
    check_length(
        title, limit=NAME_MAX_CHARS, field="title", what_zh="标题", what_en="title", required=True
    )
    check_length(
        body, limit=CLARIFICATION_BODY_MAX_CHARS, field="body", what_zh="澄清内容", what_en="text"
    )
    locked = Section.objects.select_for_update().get(pk=section.pk)
    now = clock.now()
    if locked.status not in BEFORE_DEADLINE or now >= locked.bid_deadline:
        raise DomainError(
            "投标截止后不能发出澄清 / No clarification after the bid deadline", code="conflict"
        )
    check_count(
        locked.clarifications.count(),
        limit=CLARIFICATIONS_PER_SECTION_MAX,
        field=None,
        what_zh="本标段的澄清/修改",
        what_en="clarifications for this section",
        next_zh="，请联系交易中心",
        next_en=": ask the trading centre",
    )
    earliest = now + CLARIFICATION_NOTICE_MIN
    before = locked.bid_deadline
    earliest_zh, earliest_en = beijing_time.both(earliest)
    if new_deadline is None and before < earliest:
        raise DomainError(
            "距投标截止不足15日，澄清或修改须顺延截止时间，最早至 "
            f"{earliest_zh} [R21] / Less than 15 days before the deadline: the "
            f"clarification must move the deadline to {earliest_en} or later [R21]",
            code="invalid",
            field="new_deadline",
        )
    if new_deadline is not None:
        if new_deadline < earliest:
            raise DomainError(
                f"新的截止时间不得早于 {earliest_zh}（发出之日起15日）[R21] / The new "
                f"deadline cannot be before {earliest_en} (15 days from now) [R21]",
                code="invalid",
                field="new_deadline",
            )
        if new_deadline < before:
            raise DomainError(
                "截止时间只能顺延，不能提前 / A deadline can only move later",
                code="invalid",
                field="new_deadline",
            )
        locked.bid_deadline = new_deadline
        locked.save(update_fields=["bid_deadline"])
        # The bids already received stay hidden until the new deadline [R21, E27].
        ledger.seal(locked.embargo_scope, until=locked.bid_deadline)
    document = (
        _store_document(section=locked, actor=actor, title=title, upload=upload) if upload else None
    )
    number = locked.clarifications.count() + 1
    clarification = Clarification.objects.create(
        section=locked,
        number=number,
        title=title,
        body=body,
        document=document,
        issued_at=now,
        issued_by=actor,
        deadline_before=before,
        deadline_after=locked.bid_deadline,
    )
    ledger.append(
        "trading.clarification.issued",
        actor=actor,
        target=clarification,
        data={
            "section": locked.code,
            "number": number,
            "deadline_before": before,
            "deadline_after": locked.bid_deadline,
            "document_version": document.version if document else None,
        },
    )
    chronograph.reschedule(locked)
    _notify_downloaders(locked, clarification)
    return clarification


def _notify_downloaders(section: Section, clarification: Clarification) -> int:
    """Tell everyone who downloaded [E22]: organisations in-app, anonymous ones by email."""
    downloads = DocumentDownload.objects.filter(document__section=section)
    organisation_ids = set(
        downloads.exclude(organisation=None).values_list("organisation", flat=True)
    )
    emails = set(downloads.exclude(notify_email="").values_list("notify_email", flat=True))
    subject = f"[{section.code}] 澄清/修改 {clarification.number}: {clarification.title}"
    body = (
        f"{section.name}\n{clarification.body}\n\n投标截止时间 / bid deadline: {{}} / {{}}".format(
            *beijing_time.both(section.bid_deadline)
        )
    )
    now = clock.now()
    Notification.objects.bulk_create(
        [
            Notification(
                organisation_id=pk, section=section, subject=subject, body=body, created_at=now
            )
            for pk in organisation_ids
        ]
        + [
            Notification(email=email, section=section, subject=subject, body=body, created_at=now)
            for email in emails
        ]
    )
    messages = [(subject, body, None, [email]) for email in sorted(emails)]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(organisation_ids) + len(emails)
