"""Rules on the sealed bids themselves [R40]: the same machine, file-creation ID, upload
address or ciphertext in different bidders' bids, and bids in the last seconds from one
address. Read from bidding.models.Bid, as received (the signals bidding notices at receipt,
``Bid.flags``, are the same idea; these rules recompute them over the final set of bids)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bidding.models import Bid
from supervision.alerts.models import RuleCode
from supervision.alerts.rules.common import (
    Finding,
    bid_ledger_sequences,
    bid_reference,
    counting_bids,
    distinct_organisations,
    names,
    opening_numbers,
    shared,
)
from supervision.alerts.thresholds import Thresholds
from trading.models import Section

# rule → (the bid's value, what it is in Chinese, in English)
_SHARED_VALUES: dict[str, tuple[Callable[[Bid], str | None], str, str]] = {
    RuleCode.SAME_MACHINE: (lambda bid: bid.machine_fingerprint, "机器码", "machine fingerprint"),
    RuleCode.SAME_FILE_CREATION_ID: (
        lambda bid: bid.file_creation_id,
        "文件创建标识",
        "file-creation ID",
    ),
    RuleCode.SAME_UPLOAD_ADDRESS: (lambda bid: bid.network_address, "上传IP地址", "upload address"),
    RuleCode.SAME_CIPHERTEXT: (lambda bid: bid.sm3, "密文SM3", "ciphertext SM3"),
}


def _shared_value(rule: str, section: Section) -> list[Finding]:
    value_of, label_zh, label_en = _SHARED_VALUES[rule]
    bids = counting_bids(section)
    numbers = opening_numbers(section)
    findings = []
    for value, group in shared(bids, value_of).items():
        organisations = distinct_organisations(group)
        findings.append(
            Finding(
                rule=rule,
                section=section,
                subjects=(value,),
                organisations=organisations,
                summary=(
                    f"标段 {section.code}：{names(organisations)} 的投标文件{label_zh}相同 / "
                    f"Section {section.code}: the bids of {len(organisations)} bidders share "
                    f"one {label_en}"
                ),
                evidence={
                    "values": {"field": label_en, "value": value},
                    "bids": [bid_reference(bid, numbers) for bid in group],
                    "ledger": bid_ledger_sequences(group),
                },
            )
        )
    return findings


def same_machine(section: Section, thresholds: Thresholds) -> list[Finding]:
    """The same machine fingerprint in different bidders' envelopes [R40]."""
    return _shared_value(RuleCode.SAME_MACHINE, section)


def same_file_creation_id(section: Section, thresholds: Thresholds) -> list[Finding]:
    """The same file-creation ID in different bidders' envelopes [R40]."""
    return _shared_value(RuleCode.SAME_FILE_CREATION_ID, section)


def same_upload_address(section: Section, thresholds: Thresholds) -> list[Finding]:
    """Bids of different bidders uploaded from one network address [R40]."""
    return _shared_value(RuleCode.SAME_UPLOAD_ADDRESS, section)


def same_ciphertext(section: Section, thresholds: Thresholds) -> list[Finding]:
    """Byte-identical sealed bids (their SM3) from different bidders [R40]."""
    return _shared_value(RuleCode.SAME_CIPHERTEXT, section)


def last_seconds(section: Section, thresholds: Thresholds) -> list[Finding]:
    """Bids of different bidders from one address, all within the last seconds before the
    deadline: one hand submitting for several [R40]."""
    window = dt.timedelta(seconds=thresholds.last_seconds)
    late = [
        bid
        for bid in counting_bids(section)
        if section.bid_deadline - window <= bid.received_at <= section.bid_deadline
    ]
    numbers = opening_numbers(section)
    findings = []
    for address, group in shared(late, lambda bid: bid.network_address).items():
        organisations = distinct_organisations(group)
        times: list[dict[str, Any]] = [
            {
                "number": numbers.get(bid.pk),
                "organisation": bid.organisation.credit_code,
                "seconds_before_deadline": (
                    f"{(section.bid_deadline - bid.received_at).total_seconds():.3f}"
                ),
            }
            for bid in group
        ]
        findings.append(
            Finding(
                rule=RuleCode.LAST_SECONDS,
                section=section,
                subjects=(address,),
                organisations=organisations,
                summary=(
                    f"标段 {section.code}：{names(organisations)} 在截止前 "
                    f"{thresholds.last_seconds} 秒内从同一地址递交投标 / Section {section.code}: "
                    f"{len(organisations)} bidders submitted from one address within "
                    f"{thresholds.last_seconds} seconds of the deadline"
                ),
                evidence={
                    "values": {
                        "address": address,
                        "window_seconds": thresholds.last_seconds,
                        "received": times,
                    },
                    "bids": [bid_reference(bid, numbers) for bid in group],
                    "ledger": bid_ledger_sequences(group),
                },
            )
        )
    return findings
