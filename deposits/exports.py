"""The reconciliation report: the bank lines a person may see (deposits.access), each with
what became of it — counted towards a deposit, still held, returned by which refund — as
CSV and as Excel. Chinese headers with English beneath; amounts are numbers (two decimals),
never text, so a spreadsheet sums them; the last row holds the totals."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from deposits import access, reports
from deposits.forms import LineFilterForm
from deposits.models import BankLine
from deposits.staff_views import overseer_refusal
from ggzy import clock
from ggzy_core.times import BEIJING

# (中文, English, kind): "money" columns are numbers with two decimals.
COLUMNS: list[tuple[str, str, str]] = [
    ("银行流水号", "Bank reference", "text"),
    ("记账时间（北京时间）", "Booked (Beijing time)", "text"),
    ("来源", "Source", "text"),
    ("子账号", "Sub-account", "text"),
    ("付款/收款账户", "Counterparty account", "text"),
    ("户名", "Counterparty name", "text"),
    ("收入（元）", "In (yuan)", "money"),
    ("支出（元）", "Out (yuan)", "money"),
    ("计入保证金（元）", "Counted (yuan)", "money"),
    ("暂挂（元）", "Held (yuan)", "money"),
    ("结果", "Outcome", "text"),
    ("标段", "Section", "text"),
    ("投标人", "Bidder", "text"),
    ("统一社会信用代码", "Credit code", "text"),
    ("对应退款", "Matched refund", "text"),
    ("退款状态", "Refund status", "text"),
    ("退款金额（元）", "Refund total (yuan)", "money"),
]
MONEY_FORMAT = "#,##0.00"


def _lines(request: HttpRequest) -> QuerySet[BankLine]:
    lines = access.lines_for(request.user)
    chosen = LineFilterForm(request.GET or None)
    if chosen.is_valid() and chosen.cleaned_data["outcome"]:
        lines = lines.filter(outcome=chosen.cleaned_data["outcome"])
    return lines.order_by("booked_at", "pk")


def rows(lines: QuerySet[BankLine]) -> Iterator[list[Any]]:
    """The data rows, then the totals row (money as Decimal, everything else text)."""
    totals = reports.Totals()
    for row in reports.line_rows(lines):
        totals.add(row)
        line, refund = row.line, row.refund
        yield [
            line.reference,
            line.booked_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            line.get_source_display(),
            line.account,
            line.counterparty_account,
            line.counterparty_name,
            row.credit,
            row.debit,
            row.counted,
            row.held,
            line.get_outcome_display(),
            line.section.code if line.section else "",
            line.bidder.name if line.bidder else "",
            line.bidder.credit_code if line.bidder else "",
            str(refund.pk) if refund else "",
            refund.get_status_display() if refund else "",
            refund.total if refund else None,
        ]
    yield [
        f"合计 Total: {totals.lines}",
        *[""] * 5,
        totals.credit,
        totals.debit,
        totals.counted,
        totals.held,
        *[""] * 6,
        None,
    ]


def _filename(extension: str) -> str:
    return f"deposits-reconciliation-{clock.now().astimezone(BEIJING):%Y%m%d-%H%M%S}.{extension}"


@login_required
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    refusal = overseer_refusal(request)
    if refusal is not None:
        return refusal

    def stream() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # A byte-order mark: Excel opens UTF-8 CSV with Chinese headers correctly only with one.
        buffer.write("\ufeff")
        writer.writerow([chinese for chinese, _english, _kind in COLUMNS])
        writer.writerow([english for _chinese, english, _kind in COLUMNS])
        for row in rows(_lines(request)):
            writer.writerow(["" if value is None else _text(value) for value in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def _text(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


@login_required
@require_safe
def report_xlsx(request: HttpRequest) -> HttpResponse | FileResponse:
    refusal = overseer_refusal(request)
    if refusal is not None:
        return refusal
    # Write-only: rows go to a temporary file as they come, not into memory.
    book = Workbook(write_only=True)
    sheet = book.create_sheet("对账 Reconciliation")
    sheet.freeze_panes = "A3"
    bold = Font(bold=True)
    for header in (0, 1):
        cells = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=column[header])
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    for row in rows(_lines(request)):
        cells = []
        for value, (_chinese, _english, kind) in zip(row, COLUMNS, strict=True):
            cell = WriteOnlyCell(sheet, value=value)  # Decimal stays exact: openpyxl writes it
            if kind == "money":
                cell.number_format = MONEY_FORMAT
            cells.append(cell)
        sheet.append(cells)
    with tempfile.TemporaryFile() as saved:
        book.save(saved)
        output = _stamped(saved)
    return FileResponse(
        output,
        as_attachment=True,
        filename=_filename("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _stamped(saved: IO[bytes]) -> IO[bytes]:
    """The workbook with every part dated by the platform's clock: write-only sheets are
    zipped from temporary files, which would carry the host's own time (ggzy.clock decides
    every time the platform states)."""
    moment = clock.now().astimezone(BEIJING).timetuple()[:6]
    output = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    saved.seek(0)
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            dated = zipfile.ZipInfo(part.filename, date_time=moment)
            dated.compress_type = zipfile.ZIP_DEFLATED
            with source.open(part) as reader, target.open(dated, "w") as writer:
                shutil.copyfileobj(reader, writer)
    output.seek(0)
    return output
