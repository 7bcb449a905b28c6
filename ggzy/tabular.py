"""Reading an import file — CSV (UTF-8, optionally with a BOM) or Excel (.xlsx) — as numbered
rows of text cells, for the imports that take such files (the expert library, credit
records). Each row comes with its line (CSV) or row (Excel) number, so that a refusal can
say where it is; the caller bounds the size before and the rows after.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from openpyxl import load_workbook

from ggzy.errors import DomainError, not_utf8

Cells = Iterator[tuple[int, list[str]]]


def cells(data: bytes, name: str) -> Cells:
    """The rows of ``data`` read as the file ``name`` says (.csv or .xlsx)."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "xlsx":
        return _xlsx(data)
    if suffix == "csv":
        return _csv(data)
    raise DomainError(
        "只接受 .csv 或 .xlsx 文件 / Only .csv and .xlsx files can be imported",
        code="invalid",
        field="file",
    )


def _csv(data: bytes) -> Cells:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise not_utf8(exc) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise DomainError(
            f"CSV 第 {reader.line_num} 行格式错误：{exc} / Malformed CSV at line "
            f"{reader.line_num}: {exc}",
            code="invalid",
            field="file",
        ) from exc


def _xlsx(data: bytes) -> Cells:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is no workbook
        raise DomainError(
            "无法读取该 Excel 文件，请另存为 .xlsx / The Excel file cannot be read: save it as "
            ".xlsx and import it again",
            code="invalid",
            field="file",
        ) from exc
    try:
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, ["" if value is None else _text(value) for value in values]
    finally:
        book.close()


def _text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # Excel's dates arrive as datetimes
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 2005 as 2005.0
    return str(value)
