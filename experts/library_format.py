"""The library's import file, as CSV (UTF-8, optionally with a BOM) or Excel (.xlsx): a header
row naming the columns, then one expert a row (docs/experts.md, "Importing the library").

Reading is bounded (size, rows, cell length) and yields each data row with its line (CSV) or
row (Excel) number, so every refusal can say where it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ggzy import tabular
from ggzy.errors import DomainError

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
    return _rows(tabular.cells(path.read_bytes(), path.name))


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
