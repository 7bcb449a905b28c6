"""Importing credit records from a .csv (UTF-8, optionally with a BOM) or .xlsx file: a header
row naming the columns, then one record a row (docs/credit.md, "Importing").

All or nothing: every row is checked first and every refusal reported with its row, its
column and why, in Chinese and English; only a file without a refused row is entered, in
one transaction (accounts.credit.records_import). Reading is bounded (size, rows, cell
length). A row already on record (same subject, authority and decision number) is skipped,
so importing a file twice enters it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from accounts import credit
from accounts.models import CreditBar, CreditKind, CreditSource, Organisation, Person
from ggzy import tabular
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex

SUBJECT_COLUMNS = ("credit_code", "username")
COLUMNS = ("kind", "bars", "source", "authority", "decision_number", "decided_on", "reason")
OPTIONAL = ("starts_on", "ends_on", "public")
MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 2000
MAX_ERRORS = 200  # reported; a file with more is wrong throughout

WORDS: dict[str, dict[str, str]] = {
    "kind": {
        **{value: value for value in CreditKind.values},
        "行政处罚": CreditKind.PENALTY,
        "不良行为": CreditKind.BAD_BEHAVIOUR,
        "失信": CreditKind.DISHONEST,
    },
    "bars": {
        **{value: value for value in CreditBar.values},
        "": CreditBar.NONE,
        "无": CreditBar.NONE,
        "投标": CreditBar.BIDDING,
        "评标": CreditBar.EVALUATING,
    },
    "source": {
        **{value: value for value in CreditSource.values},
        "行政决定": CreditSource.DECISION,
        "法院": CreditSource.COURT,
        "信用名单": CreditSource.LIST,
    },
}
YES = {"yes", "true", "1", "是"}
NO = {"no", "false", "0", "否"}


@dataclass
class Checked:
    entries: list[tuple[int, credit.Entry]] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, why
    unknown: int = 0  # rows whose subject is not registered here (skipped when asked)
    entered: int = 0

    @property
    def already(self) -> int:
        return len(self.entries) - self.entered


class RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def import_file(raw: BinaryIO, *, name: str, actor: Person, skip_unknown: bool = False) -> Checked:
    """Check every row of the file ``raw`` (named ``name``: .csv or .xlsx), then enter them
    all if none was refused. A subject not registered here refuses its row, or is skipped
    and counted when ``skip_unknown``."""
    data = raw.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(
            f"文件超过 {MAX_BYTES // 2**20} MiB，请分批导入 / The file is over "
            f"{MAX_BYTES // 2**20} MiB: split it and import the parts",
            code="too_large",
            field="file",
        )
    result = check_rows(_rows(tabular.cells(data, name)), skip_unknown=skip_unknown)
    if not result.errors:
        result.entered = credit.records_import(
            entries=result.entries, actor=actor, file_name=name, file_sm3=sm3_hex(data)
        )
    return result


def check_rows(rows: Iterator[tuple[int, dict[str, str]]], *, skip_unknown: bool) -> Checked:
    result = Checked()
    rows_list = list(rows)
    codes = {row.get("credit_code", "").upper() for _n, row in rows_list} - {""}
    names = {row.get("username", "") for _n, row in rows_list} - {""}
    organisations = {o.credit_code: o for o in Organisation.objects.filter(credit_code__in=codes)}
    people = {p.username: p for p in Person.objects.filter(username__in=names)}
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in rows_list:
        try:
            entry = _entry(row, organisations, people)
            if entry is None:
                if not skip_unknown:
                    raise RowError(
                        "credit_code" if row.get("credit_code") else "username",
                        "平台上没有该对象，请先注册或勾选“跳过未注册对象” / No such organisation "
                        "or person on this platform: register it first, or choose to skip "
                        "unregistered subjects",
                    )
                result.unknown += 1
                continue
            try:
                credit.checked(entry)
            except DomainError as exc:
                raise RowError(exc.field or "", exc.message) from exc
            key = (
                row.get("credit_code", "").upper() or row.get("username", ""),
                entry.authority,
                entry.decision_number,
            )
            if key in seen:
                raise RowError(
                    "decision_number",
                    f"与第 {seen[key]} 行重复 / the same record as row {seen[key]}",
                )
            seen[key] = number
        except RowError as exc:
            if len(result.errors) < MAX_ERRORS:
                result.errors.append((number, exc.column, exc.message))
            continue
        result.entries.append((number, entry))
    return result


def _entry(
    row: dict[str, str], organisations: dict[str, Organisation], people: dict[str, Person]
) -> credit.Entry | None:
    code, username = row.get("credit_code", "").upper(), row.get("username", "")
    if bool(code) == bool(username):
        raise RowError(
            "credit_code",
            "credit_code 与 username 须且只须填一个 / fill exactly one of credit_code "
            "(an organisation) and username (a person)",
        )
    organisation, person = organisations.get(code), people.get(username)
    if organisation is None and person is None:
        return None
    values = {}
    for column, words in WORDS.items():
        value = words.get(row.get(column, "").strip().lower())
        if value is None:
            raise RowError(
                column,
                f"{column} 的值 {row.get(column, '')[:20]!r} 无效 / {column} "
                f"{row.get(column, '')[:20]!r}: one of {', '.join(sorted(set(words.values())))}",
            )
        values[column] = value
    return credit.Entry(
        **values,
        authority=row.get("authority", ""),
        decision_number=row.get("decision_number", ""),
        reason=row.get("reason", ""),
        decided_on=_date(row, "decided_on", required=True),  # type: ignore[arg-type]
        starts_on=_date(row, "starts_on"),
        ends_on=_date(row, "ends_on"),
        public=_public(row),
        organisation=organisation,
        person=person,
    )


def _date(row: dict[str, str], column: str, *, required: bool = False) -> dt.date | None:
    value = row.get(column, "").strip()
    if not value and not required:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RowError(
            column,
            f"{column} 的日期 {value[:20]!r} 无效，格式为 2026-03-01 / {column} {value[:20]!r}: "
            "a date as 2026-03-01",
        ) from exc


def _public(row: dict[str, str]) -> bool | None:
    value = row.get("public", "").strip().lower()
    if not value:
        return None
    if value in YES | NO:
        return value in YES
    raise RowError("public", "public 须为 是/否（yes/no）/ public: yes or no (or blank)")


# --- Reading -------------------------------------------------------------------------------


def _rows(cells: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, dict[str, str]]]:
    header: list[str] | None = None
    count = 0
    known = (*SUBJECT_COLUMNS, *COLUMNS, *OPTIONAL)
    for number, values in cells:
        if header is None:
            header = [value.strip() for value in values]
            missing = [name for name in COLUMNS if name not in header]
            if missing or not set(SUBJECT_COLUMNS) & set(header):
                missing += [] if set(SUBJECT_COLUMNS) & set(header) else ["credit_code|username"]
                raise DomainError(
                    f"表头缺少列 / the header lacks columns: {', '.join(missing)}",
                    code="invalid",
                    field="file",
                )
            continue
        if not any(value.strip() for value in values):
            continue
        count += 1
        if count > MAX_ROWS:
            raise DomainError(
                f"超过 {MAX_ROWS} 行，请分批导入 / over {MAX_ROWS} rows: split the file",
                code="too_large",
                field="file",
            )
        if any(len(value) > MAX_CELL for value in values):
            raise DomainError(
                f"第 {number} 行有超过 {MAX_CELL} 字的单元格 / row {number}: a cell over "
                f"{MAX_CELL} characters",
                code="invalid",
                field="file",
            )
        yield (
            number,
            {
                name: value.strip()
                for name, value in zip(header, values, strict=False)
                if name in known
            },
        )
