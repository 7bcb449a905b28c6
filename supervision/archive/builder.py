"""Gather a closed section's documents and ledger slice into an archive package.

Read-only and outside any lock: once a section is closed (contracted, failed, cancelled)
nothing the package holds changes, except new ledger entries about it (a reading), which a
package sealed a moment earlier simply does not hold. The format is ``ggzy_core.archive``'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile

from ggzy import signing
from ggzy_core import archive as core
from ggzy_core.canonical import canonical
from ggzy_core.receipts import RECEIPT_DOMAIN
from ggzy_core.record import RECORD_DOMAIN
from supervision import ledger
from supervision.models import LedgerCheckpoint
from supervision.portal.section_entries import entries_of
from trading.models import Section

# The largest file the builder copies into a package (tender documents are bounded far
# below this by trading.rules; a larger file in storage is a sign of tampering).
MAX_FILE_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class Package:
    data: bytes
    sealed_at: dt.datetime
    retain_until: dt.date
    files: int
    entries: int
    key_fingerprint: str


def retain_until(sealed_at: dt.datetime) -> dt.date:
    """``ARCHIVE_RETENTION_YEARS`` after sealing (29 February keeps to the 28th)."""
    day = sealed_at.date()
    years = settings.ARCHIVE_RETENTION_YEARS
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def build(section: Section, *, sealed_at: dt.datetime) -> Package:
    lines = slice_lines(section, now=sealed_at)
    documents = list(_documents(section, lines))
    key = signing.platform_public_key()
    until = retain_until(sealed_at)
    data = core.pack(
        section={
            "code": section.code,
            "name": section.name,
            "project": section.project.code,
            "project_name": section.project.name,
            "status": section.status,
        },
        sealed_at=_iso(sealed_at),
        retain_until=until.isoformat(),
        documents=documents,
        entries=lines,
        checkpoints=_checkpoints(lines, key.fingerprint()),
        public_key=key,
        sign=signing.platform_sign,
    )
    signed = sum(1 for document in documents if document.signature is not None)
    return Package(
        data=data,
        sealed_at=sealed_at,
        retain_until=until,
        # The documents, their signatures, the key and the two ledger files.
        files=len(documents) + signed + 3,
        entries=len(lines),
        key_fingerprint=key.fingerprint(),
    )


def slice_lines(section: Section, *, now: dt.datetime) -> list[dict[str, Any]]:
    """The section's visible entries in chain order. Those before the first still-hidden
    entry of the whole ledger keep their place in the chain; from there on a sequence or
    hash would count other sections' hidden bids, so only the content goes in [E21]."""
    cut = ledger.first_hidden(now)
    entries = ledger.visible(now).filter(entries_of(section)).order_by("sequence")
    return [
        core.slice_line(ledger.record_of(entry), full=cut is None or entry.sequence < cut)
        for entry in entries.iterator(chunk_size=2000)
    ]


def _checkpoints(lines: Sequence[Mapping[str, Any]], fingerprint: str) -> list[dict[str, Any]]:
    """The platform-signed checkpoints at one of the slice's full-record entries (signed by
    today's key: an older key's checkpoint would need that key to check)."""
    sequences = [line["sequence"] for line in lines if "sequence" in line]
    points = LedgerCheckpoint.objects.filter(sequence__in=sequences, key_fingerprint=fingerprint)
    return [
        {
            "sequence": point.sequence,
            "entry_hash": point.entry_hash,
            "signed_at": _iso(point.signed_at),
            "key_fingerprint": point.key_fingerprint,
            "signature": bytes(point.signature).hex(),
        }
        for point in points.order_by("sequence")
    ]


class _Bindings:
    """Find the slice entry that recorded a document's digest."""

    def __init__(self, lines: Sequence[Mapping[str, Any]]) -> None:
        self.lines = lines

    def find(self, actions: Iterable[str], field: str, value: Any, binds: str = "sm3") -> Any:
        wanted = set(actions)
        for index, line in enumerate(self.lines):
            if line["action"] in wanted and (line.get("data") or {}).get(field) == value:
                return core.Binding(index, field, binds)
        return None


def _documents(section: Section, lines: Sequence[Mapping[str, Any]]) -> Iterable[core.Document]:
    bindings = _Bindings(lines)
    yield core.Document("section/announcement.json", "announcement", _announcement(section))
    yield from _tender_documents(section, bindings)
    yield from _receipts(section, bindings)
    yield from _opening(section, bindings)
    yield from _evaluation(section, bindings)
    yield from _award(section, bindings)


def _announcement(section: Section) -> bytes:
    """The announcement as published: the section's terms and its clarifications."""
    project = section.project
    return canonical(
        {
            "format": "ggzy-announcement/1",
            "project": {"code": project.code, "name": project.name},
            "section": {
                "code": section.code,
                "name": section.name,
                "category": section.category,
                "estimated_price": str(section.estimated_price),
                "price_ceiling": _text(section.price_ceiling),
                "bid_deposit": str(section.bid_deposit),
                "bid_validity_days": section.bid_validity_days,
                "documents_from": _iso(section.documents_from),
                "bid_deadline": _iso(section.bid_deadline),
                "published_at": _iso(section.published_at) if section.published_at else None,
                "evaluation_method": section.evaluation_method,
                "evaluation_criteria": section.evaluation_criteria,
                "read_items": section.read_items,
                "opening_key_fingerprint": section.opening_key_fingerprint,
            },
            "documents": [
                {
                    "version": document.version,
                    "title": document.title,
                    "original_name": document.original_name,
                    "size": document.size,
                    "sm3": document.sm3,
                    "issued_at": _iso(document.issued_at),
                }
                for document in section.documents.order_by("version")
            ],
            "clarifications": [
                {
                    "number": item.number,
                    "title": item.title,
                    "body": item.body,
                    "issued_at": _iso(item.issued_at),
                    "deadline_before": _iso(item.deadline_before),
                    "deadline_after": _iso(item.deadline_after),
                    "document_version": item.document.version if item.document else None,
                }
                for item in section.clarifications.select_related("document").order_by("number")
            ],
        }
    )


def _tender_documents(section: Section, bindings: _Bindings) -> Iterable[core.Document]:
    for document in section.documents.order_by("version"):
        data = _read(document.file)
        if data is None:
            continue
        yield core.Document(
            f"tender-documents/v{document.version}{_extension(document.original_name)}",
            "tender-document",
            data,
            ledger=bindings.find(["trading.document.issued"], "sm3", document.sm3),
        )


def _receipts(section: Section, bindings: _Bindings) -> Iterable[core.Document]:
    from bidding.models import Receipt, ReceiptKind

    receipts = Receipt.objects.filter(bid__section=section).order_by("issued_at", "id")
    for receipt in receipts:
        payload = canonical(receipt.payload)
        if receipt.kind == ReceiptKind.WITHDRAWN:
            binding = bindings.find(
                ["bidding.bid.withdrawn"], "bid", str(receipt.bid_id), "json:bid_id"
            )
        else:
            # A receipt states the bid's SM3, which the bid's own entry recorded.
            binding = bindings.find(
                ["bidding.bid.received", "bidding.bid.replaced"],
                "sm3",
                receipt.payload.get("sm3"),
                "json:sm3",
            )
        yield core.Document(
            f"receipts/{receipt.kind}-{receipt.bid_id}.json",
            "receipt",
            payload,
            domain=RECEIPT_DOMAIN,
            signature=bytes(receipt.signature),
            ledger=binding,
        )


def _opening(section: Section, bindings: _Bindings) -> Iterable[core.Document]:
    from realtime.models import Hall

    hall = Hall.objects.filter(section=section).first()
    if hall is None or not hall.record_signature or hall.record_json is None:
        return
    record = bytes(hall.record_json)
    signed = hall.record_signature
    yield core.Document(
        "opening/opening-record.json",
        "opening-record",
        record,
        domain=RECORD_DOMAIN,
        signature=bytes.fromhex(signed["signature"]),
        ledger=bindings.find(["realtime.record.signed"], "record_sm3", signed["record_sm3"]),
    )
    pdf = _read(hall.record_pdf)
    if pdf is not None:
        yield core.Document("opening/opening-record.pdf", "opening-record-pdf", pdf)


def _evaluation(section: Section, bindings: _Bindings) -> Iterable[core.Document]:
    from experts import report
    from experts.models import Evaluation

    evaluation = Evaluation.objects.filter(section=section).first()
    if evaluation is None or evaluation.report_json is None:
        return
    actions = ["experts.evaluation.finished", "experts.evaluation.concluded"]
    yield core.Document(
        "evaluation/report.json",
        "evaluation-report",
        bytes(evaluation.report_json),
        ledger=bindings.find(actions, "report_sm3", evaluation.report_sm3),
    )
    yield core.Document(
        "evaluation/signatures.json",
        "evaluation-signatures",
        canonical({"report_sm3": evaluation.report_sm3, "members": report.signatures(evaluation)}),
    )
    pdf = _read(evaluation.report_pdf)
    if pdf is not None:
        yield core.Document("evaluation/report.pdf", "evaluation-report-pdf", pdf)


def _award(section: Section, bindings: _Bindings) -> Iterable[core.Document]:
    from award.documents import DOMAINS
    from award.models import Award, Contract, Publicity, ResultNotice

    def signed(path: str, kind: str, row: Any, actions: list[str]) -> core.Document:
        return core.Document(
            path,
            kind,
            bytes(row.content),
            domain=DOMAINS[kind],
            signature=bytes(row.signature),
            ledger=bindings.find(actions, "content_sm3", row.content_sm3),
        )

    publicity = Publicity.objects.filter(section=section).first()
    if publicity is not None:
        yield signed("award/publicity.json", "publicity", publicity, ["award.publicity.started"])
    for award in Award.objects.filter(section=section).order_by("rank"):
        yield signed(f"award/award-{award.rank}.json", "award", award, ["award.award.issued"])
        notices = ResultNotice.objects.filter(award=award).select_related("organisation")
        for notice in notices.order_by("organisation__credit_code"):
            yield signed(
                f"award/award-{award.rank}-result-{notice.organisation.credit_code}.json",
                "result",
                notice,
                ["award.result_notice.issued"],
            )
    for contract in Contract.objects.filter(award__section=section):
        actions = ["award.contract.recorded"]
        yield signed("award/contract.json", "contract", contract, actions)
        data = _read(contract.document)
        if data is not None:
            yield core.Document(
                f"award/contract-file{_extension(contract.document_name)}",
                "contract-file",
                data,
                ledger=bindings.find(actions, "document_sm3", contract.document_sm3),
            )


def _read(file: FieldFile | None) -> bytes | None:
    """A stored file's bytes; ``None`` for none. A file that is listed but missing from
    storage raises: the archive must not be sealed without it."""
    if not file or not file.name:
        return None
    with file.storage.open(file.name, "rb") as handle:
        data: bytes = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{file.name} is larger than an archive takes")
    return data


def _extension(name: str) -> str:
    """The file's extension, if a plain one: package names are ASCII (the original name is
    in the announcement's list of documents)."""
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", name)
    return match.group(0).lower() if match else ""


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
