"""Keeping the library: the specialty code list and the experts, imported from the centre's
files with every refused row named by its line and reason.

An import is one transaction: the good rows are created or updated (by expert number), the
bad ones reported and skipped, and one ledger entry records the file's SM3 and the counts —
never a name, a phone number or who is in the library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from experts import library_format
from experts.models import MIN_YEARS_OF_PRACTICE, Expert, ExpertStatus, Specialty
from ggzy import clock
from ggzy_core import credit_code
from ggzy_core.gm.sm3 import sm3_stream
from ggzy_core.times import BEIJING
from supervision import ledger

NUMBER = re.compile(r"[A-Za-z0-9-]{1,32}")
PHONE = re.compile(r"1[3-9][0-9]{9}")
REGION = re.compile(r"[1-8][0-9]{5}")
SPECIALTY_CODE = re.compile(r"[A-Z][0-9]{0,8}")
SEPARATORS = re.compile(r"[;；、]")
LIMITS = {"name": 100, "employer": 200, "title": 50}
STATUS_WORDS = {
    "": ExpertStatus.ACTIVE,
    "active": ExpertStatus.ACTIVE,
    "正常": ExpertStatus.ACTIVE,
    "suspended": ExpertStatus.SUSPENDED,
    "暂停": ExpertStatus.SUSPENDED,
    "removed": ExpertStatus.REMOVED,
    "清退": ExpertStatus.REMOVED,
}


class RowError(ValueError):
    """One row refused: the message names the column and the rule, in both languages."""


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line or row, why)

    def as_data(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "errors": len(self.errors)}


def specialties_load(rows: Iterable[tuple[str, str]], *, actor: Any = None) -> int:
    """Add or rename specialty codes; each code's parent is the longest other code that
    begins it (``A0801`` under ``A08``). Returns how many codes the list now has."""
    names = {}
    for code, name in rows:
        if not SPECIALTY_CODE.fullmatch(code) or not name.strip() or len(name) > 100:
            raise RowError(
                f"专业代码 {code!r} 无效 / specialty {code!r}: a capital letter and digits"
            )
        names[code] = name.strip()
    with transaction.atomic():
        for code in sorted(names):  # parents sort before their children
            Specialty.objects.update_or_create(
                code=code, defaults={"name": names[code], "parent": _parent(code)}
            )
        total = Specialty.objects.count()
        ledger.append(
            "experts.specialties.loaded", actor=actor, data={"codes": len(names), "total": total}
        )
    return total


def _parent(code: str) -> Specialty | None:
    for end in range(len(code) - 1, 0, -1):
        parent = Specialty.objects.filter(code=code[:end]).first()
        if parent is not None:
            return parent
    return None


def import_file(path: Path, *, actor: Any = None) -> Imported:
    """Import experts from a .csv or .xlsx file (docs/experts.md)."""
    with path.open("rb") as raw:
        digest = sm3_stream(raw).hex()
    with transaction.atomic():
        imported = import_rows(library_format.read(path))
        ledger.append(
            "experts.library.imported",
            actor=actor,
            data={"file": path.name, "sm3": digest, **imported.as_data()},
        )
    return imported


def import_rows(rows: Iterable[library_format.Row]) -> Imported:
    """Create or update each good row's expert by number; report the others."""
    imported = Imported()
    codes = dict(Specialty.objects.values_list("code", "pk"))
    existing = {expert.number: expert for expert in Expert.objects.all()}
    seen: dict[str, int] = {}
    now = clock.now()
    this_year = now.astimezone(BEIJING).year
    for line, row in rows:
        try:
            values, specialties = _checked(row, codes, this_year)
            if values["number"] in seen:
                raise RowError(
                    f"专家编号 {values['number']} 与第 {seen[values['number']]} 行重复 / number "
                    f"{values['number']}: already on line {seen[values['number']]}"
                )
        except RowError as exc:
            imported.errors.append((line, str(exc)))
            continue
        seen[values["number"]] = line
        expert = existing.get(values["number"])
        if expert is None:
            expert = Expert.objects.create(**values, created_at=now, updated_at=now)
            imported.created += 1
        else:
            for name, value in values.items():
                setattr(expert, name, value)
            expert.updated_at = now
            expert.save()
            imported.updated += 1
        expert.specialties.set(specialties)
    return imported


def _checked(
    row: Mapping[str, str], codes: dict[str, int], this_year: int
) -> tuple[dict[str, Any], list[int]]:
    number = row.get("number", "")
    if not NUMBER.fullmatch(number):
        raise RowError("专家编号须为 1–32 位字母、数字或连字符 / number: 1–32 letters, digits or -")
    text = {}
    for name, limit in LIMITS.items():
        value = row.get(name, "")
        if len(value) > limit or any(ord(char) < 32 for char in value):
            raise RowError(
                f"{name} 超过 {limit} 字或含控制字符 / {name}: at most {limit} characters"
            )
        text[name] = value
    if not text["name"] or not text["title"]:
        raise RowError("姓名和职称必填 / name and title: required")
    phone = row.get("phone", "")
    if not PHONE.fullmatch(phone):
        raise RowError(f"手机号 {phone[:20]!r} 无效，须为 11 位 / phone {phone[:20]!r}: 11 digits")
    region = row.get("region", "")
    if not REGION.fullmatch(region):
        raise RowError(
            f"地区代码 {region[:20]!r} 须为 6 位行政区划代码 / region {region[:20]!r}: a six-digit "
            "GB/T 2260 code"
        )
    employer_code = row.get("employer_credit_code", "").upper()
    if employer_code and not credit_code.is_valid(employer_code):
        raise RowError(
            f"单位统一社会信用代码 {employer_code[:20]} 校验不通过 / employer_credit_code "
            f"{employer_code[:20]}: not a valid unified social credit code"
        )
    since = row.get("practice_since", "")
    if not since.isdigit() or not 1940 <= int(since) <= this_year:
        raise RowError(f"从业起始年份 {since[:10]!r} 无效 / practice_since {since[:10]!r}: a year")
    if this_year - int(since) < MIN_YEARS_OF_PRACTICE:
        raise RowError(
            f"从业不满 {MIN_YEARS_OF_PRACTICE} 年，不能入库 [L37] / practice_since {since}: fewer "
            f"than {MIN_YEARS_OF_PRACTICE} years in practice [L37]"
        )
    wanted = [code.strip() for code in SEPARATORS.split(row.get("specialties", "")) if code.strip()]
    unknown = [code for code in wanted if code not in codes]
    if not wanted or unknown:
        raise RowError(
            f"专业代码 {'、'.join(unknown) or '缺失'} 不在代码表中 / specialties "
            f"{', '.join(unknown) or 'missing'}: not on the code list (load_specialties)"
        )
    status = STATUS_WORDS.get(row.get("status", "").lower())
    if status is None:
        raise RowError("状态须为 正常、暂停 或 清退 / status: active, suspended or removed")
    values = {
        "number": number,
        **text,
        "phone": phone,
        "region": region,
        "employer_credit_code": employer_code,
        "practice_since": int(since),
        "status": status,
    }
    return values, [codes[code] for code in wanted]
