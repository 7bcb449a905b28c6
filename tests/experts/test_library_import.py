"""The expert library: the specialty code list, and experts imported from CSV and Excel with
every refused row named by its line."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from experts import library
from experts.models import Expert, ExpertStatus, Specialty
from ggzy.errors import DomainError
from supervision.models import LedgerEntry

pytestmark = pytest.mark.django_db
HEADER = "number,name,phone,region,employer,employer_credit_code,title,practice_since,specialties"
GOOD = "E-001,王工,13800000001,320100,金陵设计院,91320100MA00000109,高级工程师,2005,A0801；A0101"


@pytest.fixture(autouse=True)
def specialties() -> None:
    call_command("load_specialties", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def in_2026() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False):
        yield


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "experts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_code_list_hangs_each_code_under_the_longest_code_that_begins_it() -> None:
    water = Specialty.objects.get(code="A0801")

    assert water.parent is not None and water.parent.code == "A08"
    assert water.parent.parent is not None and water.parent.parent.code == "A"
    assert Specialty.objects.get(code="A").parent is None


def test_an_imported_expert_keeps_their_specialties_and_the_ledger_keeps_no_name(
    tmp_path: Path,
) -> None:
    imported = library.import_file(write(tmp_path, GOOD))

    expert = Expert.objects.get(number="E-001")
    assert (imported.created, imported.updated, imported.errors) == (1, 0, [])
    assert sorted(expert.specialties.values_list("code", flat=True)) == ["A0101", "A0801"]
    assert (expert.status, expert.years_of_practice(dt.date(2026, 6, 1))) == (
        ExpertStatus.ACTIVE,
        21,
    )
    entry = LedgerEntry.objects.get(action="experts.library.imported")
    assert entry.data["created"] == 1 and len(entry.data["sm3"]) == 64
    assert "王工" not in str(entry.data) and "13800000001" not in str(entry.data)


@pytest.mark.parametrize(
    ("row", "says"),
    [
        (GOOD.replace("13800000001", "1380000"), "phone"),
        (GOOD.replace(",2005,", ",2020,"), "[L37]"),
        (GOOD.replace("A0801；A0101", "Z99"), "Z99"),
        (GOOD.replace("91320100MA00000109", "91320100MA00000100"), "credit code"),
        (GOOD.replace("320100", "32010"), "region"),
        (GOOD.replace(",高级工程师,", ",,"), "title"),
    ],
)
def test_a_bad_row_is_refused_by_its_line_and_reason_and_the_good_rows_are_kept(
    tmp_path: Path, row: str, says: str
) -> None:
    imported = library.import_file(write(tmp_path, GOOD.replace("E-001", "E-000"), row))

    [(line, why)] = imported.errors
    assert line == 3 and says in why
    assert list(Expert.objects.values_list("number", flat=True)) == ["E-000"]


def test_a_number_twice_in_one_file_is_refused_on_its_second_line(tmp_path: Path) -> None:
    imported = library.import_file(write(tmp_path, GOOD, GOOD))

    assert imported.created == 1 and imported.errors[0][0] == 3
    assert "line 2" in imported.errors[0][1]


def test_importing_again_updates_each_expert_by_number(tmp_path: Path) -> None:
    library.import_file(write(tmp_path, GOOD))

    again = library.import_file(
        write(tmp_path, GOOD.replace("高级工程师", "正高级工程师").replace("；A0101", ""))
    )

    expert = Expert.objects.get()
    assert (again.created, again.updated) == (0, 1)
    assert expert.title == "正高级工程师"
    assert list(expert.specialties.values_list("code", flat=True)) == ["A0801"]


def test_an_excel_file_imports_like_its_csv_with_numbers_as_excel_keeps_them(
    tmp_path: Path,
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADER.split(","), "status"])
    sheet.append(
        ["E-002", "李工", 13800000002, 320100, "", "", "教授", 2001.0, "B01;D01", "suspended"]
    )
    sheet.append([None] * 10)  # a formatted but empty row
    sheet.append(["E-003", "赵工", "138", 320100, "", "", "教授", 2001, "B01", ""])
    path = tmp_path / "experts.xlsx"
    book.save(path)

    imported = library.import_file(path)

    expert = Expert.objects.get(number="E-002")
    assert (expert.phone, expert.practice_since, expert.status) == (
        "13800000002",
        2001,
        ExpertStatus.SUSPENDED,
    )
    assert imported.created == 1 and [line for line, _why in imported.errors] == [4]


def test_a_file_without_the_columns_says_which_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "experts.csv"
    path.write_text("number,name\nE-1,王工\n", encoding="utf-8")

    with pytest.raises(DomainError, match="phone, region"):
        library.import_file(path)

    assert not Expert.objects.exists()


def test_the_command_reports_each_refused_row_and_exits_one(tmp_path: Path) -> None:
    err = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_experts",
            str(write(tmp_path, GOOD, GOOD.replace("E-001", "E-009").replace(",2005,", ",2024,"))),
            stdout=io.StringIO(),
            stderr=err,
        )

    assert refused.value.returncode == 1
    assert "line 3" in err.getvalue() and "[L37]" in err.getvalue()
    assert Expert.objects.filter(number="E-001").exists()


def test_a_file_saved_in_gbk_is_refused_with_where_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "experts.csv"
    path.write_bytes(f"{HEADER}\n{GOOD}\n".encode("gbk"))

    with pytest.raises(DomainError, match="save it as UTF-8"):
        library.import_file(path)

    assert not Expert.objects.exists()
