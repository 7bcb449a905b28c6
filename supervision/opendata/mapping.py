"""A section as OCDS 1.1: what is public about it *now*, as one release body.

Every release is a full snapshot (tender, parties, bids, awards, contracts as far as they are
public at that moment), so a record compiles by merging snapshots and no release depends on
an earlier one. What may be public when is decided here and nowhere else (docs/opendata.md,
"What is published when"):

- before the bid deadline: the announcement, the documents and the clarifications only.
  Nothing here reads a bid, a download or a deposit, so no release can say anything about
  bidders before the deadline [E21, E27, L22];
- from the deadline (section opening, or failed for want of bids [R44]): the tenderers and
  their number, as the hall lists them [E29];
- from the close of the hall (the reading is done and recorded [E30, E32]): each bid's
  status at the opening and the price read out;
- awards and contracts as the award app records them [L45, L46, R55].
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import Organisation
from award.models import Award, Contract
from bidding.models import Bid, BidStatus
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus
from trading.models import Category, EvaluationMethod, Section, SectionStatus

S = SectionStatus
CURRENCY = "CNY"
# org-id.guide's list for the unified social credit code (GB 32100-2015): "CN-USCI"
# (统一社会信用代码, confirmed, primary). CN-SAIC is the older business registration list.
SCHEME = "CN-USCI"
# The OCDS bid extension (``bids.details``), declared in every package's ``extensions``.
BID_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)

# Statuses from which the bid deadline has passed with the section opened or failed.
AFTER_DEADLINE = frozenset(
    {S.OPENING, S.EVALUATION, S.PUBLICITY, S.AWARDED, S.CONTRACTED, S.FAILED, S.ARCHIVED}
)

TENDER_STATUS = {
    S.PUBLISHED: "active",
    S.BIDDING: "active",
    S.OPENING: "active",
    S.EVALUATION: "active",
    S.PUBLICITY: "active",
    S.AWARDED: "complete",
    S.CONTRACTED: "complete",
    S.FAILED: "unsuccessful",  # 流标 or no candidate left: re-tendered [R44, R55]
    S.CANCELLED: "cancelled",
}
CATEGORY = {Category.WORKS: "works", Category.GOODS: "goods", Category.SERVICES: "services"}
AWARD_CRITERIA = {
    EvaluationMethod.COMPREHENSIVE: "ratedCriteria",
    EvaluationMethod.LOWEST_PRICE: "priceOnly",
}
BID_STATUS = {
    OpeningStatus.DECRYPTED: "pending",  # opened and read out; the committee judges it
    OpeningStatus.REVOKED: "disqualified",  # 撤销: not decrypted through the bidder's fault [E31]
    OpeningStatus.WITHDRAWN: "withdrawn",  # 撤回: not decryptable through no fault of its own
    OpeningStatus.FAILED: "withdrawn",
}
AWARD_STATUS = {"notified": "active", "contracted": "active", "declined": "cancelled"}


def ocid(section: Section) -> str:
    return f"{settings.OCDS_OCID_PREFIX}-{section.code}"


def when(moment: dt.datetime) -> str:
    """RFC 3339 in UTC, to the second: one spelling for every date the feed carries."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(value: Decimal | str | None) -> dict[str, Any] | None:
    """A Value in CNY. Whole yuan as integers, else a float (≤ 2 decimals, < 10^14 yuan)."""
    if value is None or value == "":
        return None
    number = Decimal(str(value))
    figure: int | float = int(number) if number == number.to_integral_value() else float(number)
    return {"amount": figure, "currency": CURRENCY}


def party_id(organisation: Organisation) -> str:
    return f"{SCHEME}-{organisation.credit_code}"


class Parties:
    """Parties keyed by organisation, roles accumulated in the order they are met."""

    def __init__(self) -> None:
        self._parties: dict[int, dict[str, Any]] = {}

    def add(self, organisation: Organisation, role: str) -> dict[str, str]:
        party = self._parties.get(organisation.pk)
        if party is None:
            party = {
                "id": party_id(organisation),
                "name": organisation.name,
                "identifier": {
                    "scheme": SCHEME,
                    "id": organisation.credit_code,
                    "legalName": organisation.name,
                },
                "roles": [],
            }
            if organisation.address:
                party["address"] = {"streetAddress": organisation.address, "countryName": "中国"}
            self._parties[organisation.pk] = party
        if role not in party["roles"]:
            party["roles"].append(role)
        return {"id": party["id"], "name": party["name"]}

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._parties.values())


def release_body(section: Section) -> dict[str, Any]:
    """Everything public about ``section`` now, without ``id``, ``date`` and ``tag``."""
    project = section.project
    parties = Parties()
    buyer = parties.add(project.tenderee, "buyer")
    if project.agency is not None:
        procuring = parties.add(project.agency, "procuringEntity")
    else:
        procuring = parties.add(project.tenderee, "procuringEntity")
    body: dict[str, Any] = {
        "ocid": ocid(section),
        "initiationType": "tender",
        "language": "zh",
        "buyer": buyer,
        "tender": _tender(section, procuring),
    }
    status = SectionStatus(section.status)
    # The hall lists the bidders once it opens at the deadline [E29]; a section failed at
    # the deadline [R44] never opened it: its count is public (the failure's reason states
    # it), the names were never read out. A section cancelled after the opening keeps both.
    opened = BidOpening.objects.filter(hall__section=section).exists()
    if status in AFTER_DEADLINE or opened:
        bids = _bids_at_deadline(section)
        body["tender"]["numberOfTenderers"] = len(bids)
        if opened or status != S.FAILED:
            body["tender"]["tenderers"] = [
                parties.add(bid.organisation, "tenderer") for bid in bids
            ]
    details = _bids_read_out(section, parties)  # only once the hall has closed [E32]
    if details:
        body["bids"] = {"details": details}
    awards, contracts = _awards(section, parties)
    if awards:
        body["awards"] = awards
    if contracts:
        body["contracts"] = contracts
    body["parties"] = parties.as_list()
    return body


def _tender(section: Section, procuring: dict[str, str]) -> dict[str, Any]:
    tender: dict[str, Any] = {
        "id": section.code,
        "title": section.name,
        "description": section.project.name,
        "status": TENDER_STATUS.get(SectionStatus(section.status)),
        "procuringEntity": procuring,
        "procurementMethod": "open",
        "procurementMethodDetails": "公开招标 / Open tender",
        "mainProcurementCategory": CATEGORY[Category(section.category)],
        "awardCriteria": AWARD_CRITERIA[EvaluationMethod(section.evaluation_method)],
        "submissionMethod": ["electronicSubmission"],
        "submissionMethodDetails": "不见面开标：投标文件在投标人本机加密后网上递交 / Remote "
        "opening: bids are sealed on the bidder's machine and uploaded",
        "tenderPeriod": {
            "startDate": when(section.documents_from),
            "endDate": when(section.bid_deadline),
        },
    }
    if section.evaluation_criteria:
        tender["awardCriteriaDetails"] = section.evaluation_criteria
    ceiling = amount(section.price_ceiling)
    if ceiling is not None:
        tender["value"] = ceiling  # 最高投标限价, published with the documents [R27]
    if section.status in (S.CANCELLED, S.FAILED) and section.status_reason:
        tender["statusDetails"] = section.status_reason
    documents = []
    for document in section.documents.order_by("version"):
        entry = {
            "id": f"{section.code}-documents-v{document.version}",
            "documentType": "biddingDocuments",
            "title": document.title,
            "datePublished": when(
                max(document.issued_at, section.published_at or document.issued_at)
            ),
            "language": "zh",
        }
        url = _absolute(reverse("trading:download", kwargs={"pk": document.pk}))
        if url is not None:
            entry["url"] = url
        documents.append(entry)
    if documents:
        tender["documents"] = documents
    amendments = [
        {
            "id": f"{section.code}-clarification-{clarification.number}",
            "date": when(clarification.issued_at),
            "description": clarification.title,
            "rationale": clarification.body,
        }
        for clarification in section.clarifications.order_by("number")
    ]
    if amendments:
        tender["amendments"] = amendments
    return tender


def _absolute(path: str) -> str | None:
    """An absolute URL on the publisher's site; releases are written outside any request,
    so without ``OCDS_PUBLISHER_URI`` there is no host to name and the link is left out."""
    base = (settings.OCDS_PUBLISHER_URI or "").rstrip("/")
    return f"{base}{path}" if base else None


def _bids_at_deadline(section: Section) -> list[Bid]:
    """The bids the hall lists: read only once the deadline has passed (callers check).

    Ordered by the bidder's credit code, not by receipt: the order of receipt is the hall's
    to announce (numbers at the opening), not the feed's."""
    return list(
        Bid.objects.filter(section=section, status=BidStatus.RECEIVED)
        .select_related("organisation")
        .order_by("organisation__credit_code")
    )


def _bids_read_out(section: Section, parties: Parties) -> list[dict[str, Any]]:
    hall = Hall.objects.filter(section=section, stage=HallStage.CLOSED).first()
    if hall is None:
        return []
    details = []
    for opening in hall.openings.select_related("bid__organisation").order_by("number"):
        detail: dict[str, Any] = {
            "id": f"{section.code}-bid-{opening.number}",
            "status": BID_STATUS.get(OpeningStatus(opening.status), "pending"),
            "tenderers": [parties.add(opening.bid.organisation, "tenderer")],
        }
        sheet = opening.sheet if opening.status == OpeningStatus.DECRYPTED else None
        value = amount((sheet or {}).get("price"))
        if value is not None:
            detail["value"] = value  # the price read out at the opening [E30, L36]
        details.append(detail)
    return details


def _awards(
    section: Section, parties: Parties
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    awards, contracts = [], []
    for award in (
        Award.objects.filter(section=section).select_related("organisation").order_by("rank", "pk")
    ):
        award_id = f"{section.code}-award-{award.rank}"
        supplier = parties.add(award.organisation, "supplier")
        entry: dict[str, Any] = {
            "id": award_id,
            "title": f"中标通知书（第{award.rank}名中标候选人）/ Award notice (candidate {award.rank})",
            "status": AWARD_STATUS.get(award.status, "active"),
            "date": when(award.issued_at),
            "value": amount(award.price),
            "suppliers": [supplier],
        }
        if award.status == "declined":
            entry["description"] = (
                "中标人放弃中标或拒签合同 [R55] / The winner gave up the award or refused to "
                "sign the contract [R55]"
            )
        awards.append(entry)
        contract = Contract.objects.filter(award=award).first()
        if contract is not None:
            contracts.append(
                {
                    "id": f"{section.code}-contract-{award.rank}",
                    "awardID": award_id,
                    "title": contract.number,
                    "status": "active",
                    "value": amount(contract.price),
                    "dateSigned": f"{contract.signed_on:%Y-%m-%d}T00:00:00+08:00",
                }
            )
    return awards, contracts
