"""The library's import file, as CSV (UTF-8, optionally with a BOM) or Excel (.xlsx): a header
row naming the columns, then one expert a row (docs/experts.md, "Importing the library").

Reading is bounded (size, rows, cell length) and yields each data row with its line (CSV) or
row (Excel) number, so every refusal can say where it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from openpyxl import load_workbook

from ggzy.errors import DomainError, not_utf8

COLUMNS = (
    "number",
    "name",
    "phone",
    "region",
    "employer",
    "employer_credit_code",
    "title",
    "practice_since",
    "specialties",
)
OPTIONAL = ("status",)
MAX_BYTES = 32 * 1024 * 1024
MAX_ROWS = 200_000  # a province's library is some tens of thousands
MAX_CELL = 500

Row = tuple[int, dict[str, str]]


def read(path: Path) -> Iterator[Row]:
    """The data rows of a .csv or .xlsx file; a DomainError for a file that cannot be one."""
    if path.stat().st_size > MAX_BYTES:
        raise DomainError(
            f"文件超过 {MAX_BYTES // 2**20} MiB，请分批导入 / The file is over "
            f"{MAX_BYTES // 2**20} MiB: split it and import the parts",
            code="too_large",
            field="file",
        )
    if path.suffix.lower() == ".xlsx":
        return _rows(_xlsx(path))
    if path.suffix.lower() == ".csv":
        return _rows(_csv(path))
    raise DomainError(
        "只接受 .csv 或 .xlsx 文件 / Only .csv and .xlsx files can be imported",
        code="invalid",
        field="file",
    )


def _csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_utf8(exc) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise DomainError(
            f"CSV 第 {reader.line_num} 行格式错误：{exc} / Malformed CSV at line "
            f"{reader.line_num}: {exc}",
            code="invalid",
            field="file",
        ) from exc


def _xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise DomainError(
            "无法读取该 Excel 文件，请另存为 .xlsx / The Excel file cannot be read: save it as "
            ".xlsx and import it again",
            code="invalid",
            field="file",
        ) from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if value is None else _cell(value) for value in values]
    finally:
        book.close()


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 2005 as 2005.0
    return str(value)


def _rows(cells: Iterator[tuple[int, list[str]]]) -> Iterator[Row]:
    header: list[str] | None = None
    count = 0
    for number, values in cells:
        if header is None:
            header = [value.strip() for value in values]
            missing = [name for name in COLUMNS if name not in header]
            if missing:
                raise DomainError(
                    f"表头缺少列 / the header lacks columns: {', '.join(missing)}",
                    code="invalid",
                    field="file",
                )
            continue
        if not any(value.strip() for value in values):
            continue  # a blank row (Excel keeps formatted empty rows)
        count += 1
        if count > MAX_ROWS:
            raise DomainError(
                f"超过 {MAX_ROWS} 行，请分批导入 / over {MAX_ROWS} rows: split the file",
                code="too_large",
                field="file",
            )
        yield (
            number,
            {
                name: value[: MAX_CELL + 1].strip()
                for name, value in zip(header, values, strict=False)
                if name in COLUMNS or name in OPTIONAL
            },
        )
