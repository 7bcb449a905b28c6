"""The terms of a submitted guarantee: the signed payload read strictly, then checked against
the section it covers. Each refusal names the field at fault and what to fix."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from accounts.models import Organisation, OrganisationKind
from deposits.models import GuaranteeStatus, Issuer
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import guarantee as protocol
from ggzy_core.canonical import canonical
from ggzy_core.times import BEIJING
from trading.models import Section, SectionStatus

MAX_PAYLOAD_BYTES = 16 * 1024  # a dozen short fields: a few hundred bytes in practice
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # a guarantee letter of a few pages, with its seal
MAX_FIELD_CHARS = 64
PDF_MAGIC = b"%PDF-"
CENT = Decimal("0.01")
# Issuers' clocks may run a little ahead of ours; a guarantee issued in the future is not.
ISSUED_AT_SKEW = dt.timedelta(minutes=5)
AMOUNT_PATTERN = re.compile(r"^[0-9]{1,15}(\.[0-9]{1,2})?$")
DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SM3_PATTERN = re.compile(r"^[0-9a-f]{64}$")
ACCEPTING = (SectionStatus.PUBLISHED, SectionStatus.BIDDING)


@dataclass(frozen=True)
class Terms:
    payload: dict[str, str]
    section: Section
    bidder: Organisation
    beneficiary: Organisation
    amount: Decimal
    valid_from: dt.date
    valid_until: dt.date


def refuse(zh: str, en: str, *, field: str, code: str = "invalid") -> DomainError:
    return DomainError(f"{zh} / {en}", code=code, field=field)


def check_sizes(payload: bytes, document: bytes) -> None:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise refuse(
            f"保函数据过大（上限 {MAX_PAYLOAD_BYTES // 1024} KiB），只应包含规定字段",
            f"The payload is too large (limit {MAX_PAYLOAD_BYTES // 1024} KiB): it holds only "
            "the fields docs/guarantees.md lists",
            field="payload",
            code="too_large",
        )
    if len(document) > MAX_DOCUMENT_BYTES:
        raise refuse(
            f"保函文件过大（上限 {MAX_DOCUMENT_BYTES // 1024 // 1024} MiB），请压缩后重新签发",
            f"The guarantee document is too large (limit {MAX_DOCUMENT_BYTES // 1024 // 1024} "
            "MiB): reduce it (fewer or smaller images) and issue it again",
            field="document",
            code="too_large",
        )
    if not document.startswith(PDF_MAGIC):
        raise refuse(
            "保函文件须为 PDF",
            "The guarantee document must be a PDF (it starts with %PDF-)",
            field="document",
            code="not_pdf",
        )


def read_payload(payload: bytes) -> dict[str, str]:
    """The payload as signed: canonical JSON, exactly the protocol's fields, all strings."""
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise refuse(
            "保函数据不是 UTF-8 JSON", "The payload is not UTF-8 JSON", field="payload"
        ) from exc
    if not isinstance(value, dict):
        raise refuse("保函数据应为 JSON 对象", "The payload must be a JSON object", field="payload")
    missing = [name for name in protocol.PAYLOAD_FIELDS if name not in value]
    unknown = sorted(set(value) - set(protocol.PAYLOAD_FIELDS))
    if missing or unknown:
        raise refuse(
            f"保函字段不符：缺少 {missing}，多余 {unknown}",
            f"The payload's fields are wrong: missing {missing}, unknown {unknown}; send "
            f"exactly {list(protocol.PAYLOAD_FIELDS)}",
            field=(missing or unknown)[0],
        )
    for name in protocol.PAYLOAD_FIELDS:
        item = value[name]
        if not isinstance(item, str) or not item or len(item) > MAX_FIELD_CHARS:
            raise refuse(
                f"字段 {name} 应为非空字符串（不超过 {MAX_FIELD_CHARS} 字）",
                f"{name} must be a non-empty string of at most {MAX_FIELD_CHARS} characters",
                field=name,
            )
        if not item.isprintable():
            raise refuse(
                f"字段 {name} 含控制字符", f"{name} contains control characters", field=name
            )
    if canonical(value) != payload:
        raise refuse(
            "保函数据须为规范 JSON（键排序、无空格、UTF-8），签名即针对这些字节",
            "The payload must be canonical JSON (sorted keys, no spaces, UTF-8, no escapes "
            "beyond JSON's): the signature covers exactly those bytes",
            field="payload",
            code="not_canonical",
        )
    if value["format"] != protocol.PAYLOAD_FORMAT:
        raise refuse(
            f"格式应为 {protocol.PAYLOAD_FORMAT}",
            f"format must be {protocol.PAYLOAD_FORMAT!r}",
            field="format",
        )
    if not protocol.NUMBER_PATTERN.match(value["number"]):
        raise refuse(
            "保函编号应为 4-64 位字母、数字、_ 或 -（以字母或数字开头）",
            "The number must be 4 to 64 characters from A-Z a-z 0-9 _ -, starting with a "
            "letter or digit",
            field="number",
        )
    return value


def check_terms(*, issuer: Issuer, payload: dict[str, str], document: bytes, sm3: str) -> Terms:
    """Check a read payload against the issuer, the section, the bidder and the document
    (``sm3``: the document's SM3, hex)."""
    if payload["issuer"] != issuer.credit_code:
        raise refuse(
            f"出具机构代码应为 {issuer.credit_code}（签名机构自身）",
            f"issuer must be your own credit code {issuer.credit_code}",
            field="issuer",
        )
    section = _section(payload["section"])
    tenderee = section.project.tenderee
    if payload["beneficiary"] != tenderee.credit_code:
        raise refuse(
            f"受益人应为本项目招标人 {tenderee.name}（{tenderee.credit_code}）",
            f"The beneficiary must be the project's tenderee {tenderee.credit_code}; issue the "
            "guarantee to it",
            field="beneficiary",
        )
    bidder = Organisation.objects.filter(
        credit_code=payload["bidder"], kind=OrganisationKind.BIDDER, is_active=True
    ).first()
    if bidder is None:
        raise refuse(
            "投标人须为平台上已注册的投标单位（统一社会信用代码）",
            "The bidder must be a bidder organisation registered on the platform, by its "
            "unified social credit code",
            field="bidder",
        )
    if payload["currency"] != "CNY":
        raise refuse("币种应为 CNY", "currency must be CNY", field="currency")
    amount = _amount(payload["amount"], section)
    valid_from, valid_until = _validity(payload, section)
    _check_issued_at(payload["issued_at"])
    if not SM3_PATTERN.match(payload["document_sm3"]) or not hmac.compare_digest(
        payload["document_sm3"], sm3
    ):
        raise refuse(
            "document_sm3 与保函文件的 SM3 不符，请对所附文件重新计算并签名",
            f"document_sm3 does not match the attached document (its SM3 is {sm3}): send the "
            "document you hashed, or sign a payload with its SM3",
            field="document_sm3",
            code="document_mismatch",
        )
    return Terms(
        payload=payload,
        section=section,
        bidder=bidder,
        beneficiary=tenderee,
        amount=amount,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def _section(code: str) -> Section:
    section = (
        Section.objects.select_for_update(of=("self",))
        .select_related("project__tenderee")
        .filter(code=code)
        .first()
    )
    if section is None or section.status == SectionStatus.DRAFT:
        raise refuse(
            "没有该编号的标段，请核对公告中的标段编号",
            "No section has this code: copy the section code from its announcement",
            field="section",
            code="unknown_section",
        )
    if section.status not in ACCEPTING or clock.now() >= section.bid_deadline:
        raise refuse(
            "该标段已过投标截止时间或不再接收投标，保函不能提交",
            "The section no longer takes bids (its bid deadline has passed or it is closed): a "
            "guarantee for it cannot be submitted",
            field="section",
            code="not_accepting",
        )
    return section


def _amount(text: str, section: Section) -> Decimal:
    try:
        if not AMOUNT_PATTERN.match(text):
            raise InvalidOperation(text)
        amount = Decimal(text).quantize(CENT)
    except InvalidOperation:
        raise refuse(
            "金额格式应为元，最多两位小数，如 800000.00",
            "amount must be yuan with at most two decimals, as a string, e.g. 800000.00",
            field="amount",
        ) from None
    if amount <= 0 or amount < section.bid_deposit:
        raise refuse(
            f"担保金额 {amount} 元低于本标段投标保证金 {section.bid_deposit} 元",
            f"The amount {amount} yuan is below the section's bid deposit of "
            f"{section.bid_deposit} yuan: issue a guarantee for at least the deposit",
            field="amount",
            code="amount_too_low",
        )
    return amount


def covering(section: Section) -> Q:
    """The guarantees that cover the section's deposit now: valid, at least the deposit, in
    force at the deadline and until the bid validity ends (read against the current
    deadline, which a clarification may have moved)."""
    return Q(
        section=section,
        status=GuaranteeStatus.VALID,
        amount__gte=section.bid_deposit,
        valid_from__lte=section.bid_deadline.astimezone(BEIJING).date(),
        valid_until__gte=required_until(section),
    )


def required_until(section: Section) -> dt.date:
    """The last day a guarantee must cover: the bid deadline's date (Beijing) plus the bid
    validity, since the deposit's validity equals the bid validity [R26]."""
    deadline = section.bid_deadline.astimezone(BEIJING).date()
    return deadline + dt.timedelta(days=section.bid_validity_days)


def _date(text: str, field: str) -> dt.date:
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise refuse(
            f"{field} 应为日期 YYYY-MM-DD", f"{field} must be a date, YYYY-MM-DD", field=field
        ) from None


def _validity(payload: dict[str, str], section: Section) -> tuple[dt.date, dt.date]:
    valid_from = _date(payload["valid_from"], "valid_from")
    valid_until = _date(payload["valid_until"], "valid_until")
    deadline = section.bid_deadline.astimezone(BEIJING).date()
    if valid_from > deadline:
        raise refuse(
            f"保函须在投标截止日 {deadline} 前生效",
            f"valid_from must be on or before the bid deadline's date {deadline}: the "
            "guarantee must be in force when bids close",
            field="valid_from",
        )
    needed = required_until(section)
    if valid_until < needed:
        raise refuse(
            f"保函有效期须至少到 {needed}（投标截止日加投标有效期 {section.bid_validity_days} 天）",
            f"valid_until must be {needed} or later: the bid deadline's date plus the bid "
            f"validity of {section.bid_validity_days} days [R26]",
            field="valid_until",
            code="validity_too_short",
        )
    return valid_from, valid_until


def _check_issued_at(text: str) -> None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(text)
    except ValueError:
        raise refuse(
            "issued_at 应为带时区的 ISO 8601 时间",
            "issued_at must be an ISO 8601 time with its zone, e.g. 2026-03-01T09:30:00+08:00",
            field="issued_at",
        ) from None
    if moment > clock.now() + ISSUED_AT_SKEW:
        raise refuse(
            "签发时间晚于平台当前时间，请校准时钟",
            "issued_at is later than the platform's time: check your clock (GET /api/time)",
            field="issued_at",
        )
