"""Identical decrypted files in different bidders' bids [R40]: read after the hall decrypted
them (realtime.decryption stores each bid's files under one folder; ``stored_files`` lists
them), hashed with SM3 here."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, BinaryIO, cast

from django.core.files.storage import default_storage

from ggzy_core.gm.sm3 import sm3_stream
from realtime import decryption
from realtime.models import BidOpening, OpeningStatus
from supervision.alerts.models import RuleCode
from supervision.alerts.rules.common import Finding, names
from supervision.alerts.thresholds import Thresholds
from supervision.models import LedgerEntry
from trading.models import Section

# A bid's files are few (the tool seals a proposal and its attachments); bound the work of
# one run all the same.
MAX_FILES_PER_BID = 200


def _document_name(opening: BidOpening, stored: str) -> str:
    """The file's name inside the bid: the storage folder names the bid's opaque id, which
    no page shows [E21]."""
    folder = f"opened/{opening.bid.section.code}/{opening.bid_id}/"
    return stored[len(folder) :] if stored.startswith(folder) else stored.rsplit("/", 1)[-1]


def _digests(opening: BidOpening, thresholds: Thresholds) -> list[dict[str, Any]]:
    documents = []
    for stored in decryption.stored_files(opening)[:MAX_FILES_PER_BID]:
        size = default_storage.size(stored)
        if size < thresholds.identical_file_min_bytes:
            continue
        with default_storage.open(stored, "rb") as handle:
            digest = sm3_stream(cast(BinaryIO, handle)).hex()
        documents.append(
            {"name": _document_name(opening, stored), "sm3": digest, "size": size, "path": stored}
        )
    return documents


def same_decrypted_file(section: Section, thresholds: Thresholds) -> list[Finding]:
    """The same file (SM3 of its decrypted bytes) in the bids of different bidders [R40]."""
    openings = (
        BidOpening.objects.filter(
            bid__section=section, bid__status="received", status=OpeningStatus.DECRYPTED
        )
        .select_related("bid__organisation", "bid__section")
        .order_by("number")
    )
    by_digest: dict[str, list[tuple[BidOpening, dict[str, Any]]]] = defaultdict(list)
    for opening in openings:
        for document in _digests(opening, thresholds):
            by_digest[document["sm3"]].append((opening, document))
    findings = []
    for digest, copies in sorted(by_digest.items()):
        organisations = {
            opening.bid.organisation_id: opening.bid.organisation for opening, _ in copies
        }
        if len(organisations) < 2:
            continue
        involved = sorted(organisations.values(), key=lambda item: item.credit_code)
        bid_ids = sorted({str(opening.bid_id) for opening, _ in copies})
        findings.append(
            Finding(
                rule=RuleCode.SAME_DECRYPTED_FILE,
                section=section,
                subjects=(digest,),
                organisations=involved,
                summary=(
                    f"标段 {section.code}：{names(involved)} 的投标文件中有相同的文件 / "
                    f"Section {section.code}: the bids of {len(involved)} bidders contain an "
                    f"identical file"
                ),
                evidence={
                    "values": {"sm3": digest},
                    "bids": [
                        {
                            "id": str(opening.bid_id),
                            "number": opening.number,
                            "organisation": opening.bid.organisation.credit_code,
                            "name": opening.bid.organisation.name,
                        }
                        for opening, _ in copies
                    ],
                    "documents": [
                        {
                            "number": opening.number,
                            "name": document["name"],
                            "sm3": document["sm3"],
                            "size": document["size"],
                        }
                        for opening, document in copies
                    ],
                    "ledger": sorted(
                        LedgerEntry.objects.filter(
                            action="realtime.bid.decrypted", target_id__in=bid_ids
                        ).values_list("sequence", flat=True)
                    ),
                },
            )
        )
    return findings
