"""The contract's key terms against the tender and the winning bid [L46]: the price exactly
the winning price, the duration no longer than the bid's, quality and project manager (and
warranty, if read out) those of the bid's opening sheet (ggzy_core.gm.envelope.sheet)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from award.models import Award
from ggzy.errors import DomainError

# Text items compared exactly (after trimming spaces), with their names in both languages.
EQUAL_TERMS: dict[str, tuple[str, str]] = {
    "quality": ("质量", "quality"),
    "project_manager": ("项目经理", "project manager"),
    "warranty": ("质保期", "warranty"),
}
TERM_MAX_CHARS = 200


def check_terms(award: Award, *, price: Decimal, terms: dict[str, Any]) -> dict[str, Any]:
    """Every deviation is refused, each naming the term, the bid's value and what to do;
    returns the key terms as recorded (only the ones the bid read out)."""
    problems: list[tuple[str, str]] = []
    if price != award.price:
        problems.append(
            (
                "price",
                f"合同价 {price} 元与中标价 {award.price} 元不一致，合同价应等于中标价 / the "
                f"contract price {price} yuan differs from the winning price {award.price} yuan: "
                "the contract price must equal it",
            )
        )
    bid: dict[str, Any] = award.terms or {}
    agreed: dict[str, Any] = {}
    if "duration_days" in bid:
        agreed["duration_days"], problem = _duration(terms.get("duration_days"), bid)
        if problem:
            problems.append(("duration_days", problem))
    for name, (zh, en) in EQUAL_TERMS.items():
        if name not in bid:
            continue
        value = str(terms.get(name) or "").strip()[:TERM_MAX_CHARS]
        agreed[name] = value
        if value != str(bid[name]).strip():
            problems.append(
                (
                    name,
                    f"{zh}“{value}”与投标文件的“{bid[name]}”不一致，应与中标人投标一致 / the {en} "
                    f"'{value}' differs from the winning bid's '{bid[name]}': use the bid's",
                )
            )
    if problems:
        raise DomainError(
            "合同实质性条款与招标文件和中标人的投标文件不一致，请改正后再备案 [L46] / The contract's "
            "key terms must be those of the tender and the winning bid; correct them and record "
            "again [L46]: " + "; ".join(text for _, text in problems),
            code="invalid",
            field=problems[0][0],
        )
    return agreed


def _duration(value: Any, bid: dict[str, Any]) -> tuple[int | None, str]:
    try:
        days = int(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return None, (
            f"请填写工期（日历天，投标为 {bid['duration_days']} 天）/ give the duration in calendar "
            f"days (the bid's: {bid['duration_days']})"
        )
    if days <= 0 or days > int(bid["duration_days"]):
        return days, (
            f"工期 {days} 天超过中标人投标工期 {bid['duration_days']} 天，不得超过 / the duration "
            f"{days} days exceeds the winning bid's {bid['duration_days']} days: it may not"
        )
    return days, ""
