"""Credit records: entering, revoking and correcting them (only regulators, each ledgered),
their periods, the lookups, the public dishonest list, the all-or-nothing import, who sees
which record, and the pages."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from openpyxl import Workbook

from accounts import credit, credit_access, credit_import
from accounts.models import (
    CreditBar,
    CreditKind,
    CreditRecord,
    CreditSource,
    Organisation,
    OrganisationKind,
    Person,
    Role,
)
from ggzy.errors import DomainError
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.times import BEIJING
from supervision.models import LedgerEntry
from tests.conftest import client_for
from tests.factories import OrganisationFactory, PersonFactory
from tests.tools import nothing_changes

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _beijing_morning() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=BEIJING), tick=False):
        yield


@pytest.fixture
def regulator() -> Person:
    department = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="水利局")
    return PersonFactory.create(username="regulator", organisation=department, role=Role.REGULATOR)


@pytest.fixture
def other_regulator() -> Person:
    department = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="住建局")
    return PersonFactory.create(organisation=department, role=Role.REGULATOR)


@pytest.fixture
def company(owner: Person) -> Organisation:
    assert owner.organisation is not None
    return owner.organisation


@pytest.fixture
def expert_person() -> Person:
    return PersonFactory.create(username="expert-wang", organisation=None, role=Role.EXPERT)


def entry(**kw: Any) -> credit.Entry:
    fields: dict[str, Any] = {
        "kind": CreditKind.PENALTY,
        "bars": CreditBar.BIDDING,
        "source": CreditSource.DECISION,
        "authority": "某市水利局",
        "decision_number": "水罚〔2026〕1号",
        "decided_on": dt.date(2026, 3, 1),
        "reason": "串通投标 [R67]",
    }
    fields.update(kw)
    return credit.Entry(**fields)


# --- Services ------------------------------------------------------------------------------


def test_a_regulator_enters_a_penalty_that_runs_three_years_and_is_published(
    regulator: Person, company: Organisation
) -> None:
    record = credit.record_enter(entry=entry(organisation=company), actor=regulator)

    assert record.starts_on == dt.date(2026, 3, 1)
    assert record.ends_on == dt.date(2029, 2, 28)
    assert record.public is True
    assert credit.state(record) == credit.CreditState.IN_FORCE
    logged = LedgerEntry.objects.get(action="credit.record.entered")
    assert logged.data["organisation"] == company.credit_code
    assert logged.data["reason_sm3"] == sm3_hex("串通投标 [R67]".encode())
    assert "串通" not in str(logged.data)


def test_a_court_listing_runs_two_years_and_bad_behaviour_one_and_stays_internal(
    regulator: Person, company: Organisation
) -> None:
    court = credit.record_enter(
        entry=entry(organisation=company, kind=CreditKind.DISHONEST, source=CreditSource.COURT),
        actor=regulator,
    )
    bad = credit.record_enter(
        entry=entry(
            organisation=company,
            kind=CreditKind.BAD_BEHAVIOUR,
            bars=CreditBar.NONE,
            decision_number="水不良〔2026〕2号",
        ),
        actor=regulator,
    )

    assert court.ends_on == dt.date(2028, 2, 29)
    assert bad.ends_on == dt.date(2027, 2, 28)
    assert bad.public is False


@pytest.mark.parametrize("who", ["staff", "superuser", "owner"])
def test_only_a_regulator_enters_a_record(
    who: str, staff: Person, owner: Person, company: Organisation
) -> None:
    actor = {
        "staff": staff,
        "superuser": PersonFactory.create(organisation=None, role="", is_superuser=True),
        "owner": owner,
    }[who]
    with nothing_changes(CreditRecord), pytest.raises(DomainError) as refused:
        credit.record_enter(entry=entry(organisation=company), actor=actor)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"public": True}, "public"),
        ({"bars": CreditBar.BIDDING}, "bars"),
        ({"decided_on": dt.date(2026, 3, 11)}, "decided_on"),
        ({"starts_on": dt.date(2026, 2, 1)}, "starts_on"),
        ({"ends_on": dt.date(2036, 3, 1)}, "ends_on"),
        ({"reason": " "}, "reason"),
        ({"kind": "rumour"}, "kind"),
    ],
)
def test_it_refuses_a_person_record_that_breaks_a_rule_naming_the_field(
    regulator: Person, expert_person: Person, change: dict[str, Any], field: str
) -> None:
    wanted = entry(**{"person": expert_person, "bars": CreditBar.EVALUATING, **change})
    with nothing_changes(CreditRecord), pytest.raises(DomainError) as refused:
        credit.record_enter(entry=wanted, actor=regulator)
    assert refused.value.field == field
    assert " / " in refused.value.message


def test_an_organisation_is_not_barred_from_evaluating_nor_named_with_a_person(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    with pytest.raises(DomainError) as bar:
        credit.record_enter(
            entry=entry(organisation=company, bars=CreditBar.EVALUATING), actor=regulator
        )
    with pytest.raises(DomainError) as both:
        credit.record_enter(
            entry=entry(organisation=company, person=expert_person), actor=regulator
        )
    assert (bar.value.field, both.value.field) == ("bars", "subject")


def test_the_same_decision_on_the_same_subject_is_entered_once(
    regulator: Person, company: Organisation
) -> None:
    credit.record_enter(entry=entry(organisation=company), actor=regulator)
    with nothing_changes(CreditRecord), pytest.raises(DomainError) as refused:
        credit.record_enter(entry=entry(organisation=company), actor=regulator)
    assert refused.value.code == "duplicate"


def test_a_revoked_record_is_no_longer_in_force_that_day_and_not_revoked_twice(
    regulator: Person, company: Organisation
) -> None:
    record = credit.record_enter(entry=entry(organisation=company), actor=regulator)

    credit.record_revoke(record=record, reason="复议撤销", actor=regulator)

    record.refresh_from_db()
    assert credit.state(record) == credit.CreditState.REVOKED
    assert credit.state(record, TODAY - dt.timedelta(days=1)) == credit.CreditState.IN_FORCE
    assert credit.in_force_of_organisation(company) == []
    assert LedgerEntry.objects.filter(action="credit.record.revoked").count() == 1
    with pytest.raises(DomainError) as again:
        credit.record_revoke(record=record, reason="再次", actor=regulator)
    assert again.value.code == "conflict"


def test_only_the_department_that_entered_a_record_revokes_it_with_a_reason(
    regulator: Person, other_regulator: Person, company: Organisation
) -> None:
    record = credit.record_enter(entry=entry(organisation=company), actor=regulator)
    with nothing_changes(CreditRecord), pytest.raises(DomainError) as foreign:
        credit.record_revoke(record=record, reason="不是我们的", actor=other_regulator)
    with nothing_changes(CreditRecord), pytest.raises(DomainError) as silent:
        credit.record_revoke(record=record, reason="  ", actor=regulator)
    assert (foreign.value.code, silent.value.field) == ("forbidden", "reason")


def test_a_correction_revokes_the_old_record_and_enters_the_new_one_together(
    regulator: Person, company: Organisation
) -> None:
    old = credit.record_enter(entry=entry(organisation=company), actor=regulator)

    new = credit.record_correct(
        record=old,
        reason="期限有误",
        entry=entry(organisation=company, ends_on=dt.date(2027, 2, 28)),
        actor=regulator,
    )

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.corrects == old
    assert new.ends_on == dt.date(2027, 2, 28)
    assert credit.in_force_of_organisation(company) == [new]


def test_a_refused_correction_leaves_the_old_record_in_force(
    regulator: Person, company: Organisation
) -> None:
    old = credit.record_enter(entry=entry(organisation=company), actor=regulator)
    with nothing_changes(CreditRecord), pytest.raises(DomainError):
        credit.record_correct(
            record=old,
            reason="期限有误",
            entry=entry(organisation=company, reason=""),
            actor=regulator,
        )
    assert credit.in_force_of_organisation(company) == [old]


def test_a_record_is_in_force_from_its_first_to_its_last_day(
    regulator: Person, company: Organisation
) -> None:
    record = credit.record_enter(
        entry=entry(
            organisation=company, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 4, 30)
        ),
        actor=regulator,
    )
    assert credit.state(record) == credit.CreditState.PENDING
    assert credit.in_force_of_organisations([company.pk], on=dt.date(2026, 4, 1)) == {
        company.pk: [record]
    }
    assert credit.in_force_of_organisations([company.pk], on=dt.date(2026, 4, 30)) == {
        company.pk: [record]
    }
    assert credit.in_force_of_organisations([company.pk], on=dt.date(2026, 5, 1)) == {}
    assert credit.state(record, dt.date(2026, 5, 1)) == credit.CreditState.EXPIRED


def test_a_record_that_bars_evaluating_names_the_person(
    regulator: Person, expert_person: Person
) -> None:
    record = credit.record_enter(
        entry=entry(person=expert_person, bars=CreditBar.EVALUATING), actor=regulator
    )
    assert credit.barred_from_evaluating(on=TODAY) == {expert_person.pk: record}
    assert credit.barred_from_evaluating(on=dt.date(2030, 1, 1)) == {}
    assert credit.in_force_of_person(expert_person) == [record]


def test_the_dishonest_list_shows_published_organisation_records_in_force_only(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    listed = credit.record_enter(entry=entry(organisation=company), actor=regulator)
    credit.record_enter(
        entry=entry(organisation=company, public=False, decision_number="内部〔2026〕3号"),
        actor=regulator,
    )
    credit.record_enter(
        entry=entry(person=expert_person, bars=CreditBar.EVALUATING), actor=regulator
    )
    ended = credit.record_enter(
        entry=entry(organisation=OrganisationFactory.create(), decision_number="旧〔2026〕4号"),
        actor=regulator,
    )
    credit.record_revoke(record=ended, reason="撤销", actor=regulator)

    assert list(credit.dishonest_list()) == [listed]
    assert list(credit.dishonest_list(query=company.credit_code.lower())) == [listed]
    assert list(credit.dishonest_list(query=company.name[:4])) == [listed]
    assert list(credit.dishonest_list(query="没有这家")) == []


def test_a_record_is_never_deleted(regulator: Person, company: Organisation) -> None:
    record = credit.record_enter(entry=entry(organisation=company), actor=regulator)
    with pytest.raises(PermissionError):
        record.delete()


# --- Import --------------------------------------------------------------------------------

HEADER = [
    "credit_code",
    "username",
    "kind",
    "bars",
    "source",
    "authority",
    "decision_number",
    "decided_on",
    "reason",
    "ends_on",
]


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    return io.BytesIO(("\ufeff" + "\n".join(lines) + "\n").encode())


def good_rows(company: Organisation, person: Person) -> list[list[str]]:
    return [
        [
            company.credit_code,
            "",
            "失信",
            "投标",
            "信用名单",
            "信用中国",
            "失信〔2026〕9号",
            "2026-03-01",
            "严重失信",
            "",
        ],
        [
            "",
            person.username,
            "行政处罚",
            "评标",
            "行政决定",
            "水利局",
            "水罚〔2026〕5号",
            "2026-02-01",
            "违规评标",
            "2027-01-31",
        ],
    ]


def test_an_import_enters_every_row_and_ledgers_each_with_the_file(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    raw = csv_file(good_rows(company, expert_person))
    data = raw.getvalue()

    result = credit_import.import_file(raw, name="list.csv", actor=regulator)

    assert (result.entered, result.errors) == (2, [])
    listed = CreditRecord.objects.get(organisation=company)
    assert (listed.kind, listed.bars, listed.source) == ("dishonest", "bidding", "list")
    assert listed.import_sm3 == sm3_hex(data)
    assert CreditRecord.objects.get(person=expert_person).ends_on == dt.date(2027, 1, 31)
    assert LedgerEntry.objects.filter(action="credit.record.entered").count() == 2
    summary = LedgerEntry.objects.get(action="credit.records.imported")
    assert summary.data["entered"] == 2


def test_importing_the_same_file_twice_enters_it_once(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    credit_import.import_file(
        csv_file(good_rows(company, expert_person)), name="a.csv", actor=regulator
    )
    again = credit_import.import_file(
        csv_file(good_rows(company, expert_person)), name="a.csv", actor=regulator
    )
    assert (again.entered, again.already) == (0, 2)
    assert CreditRecord.objects.count() == 2


def test_an_import_with_one_bad_row_enters_nothing_and_names_row_and_column(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    rows = good_rows(company, expert_person)
    rows.append(
        [
            company.credit_code,
            "",
            "失信",
            "评标",
            "法院",
            "法院",
            "执〔2026〕1号",
            "2026-03-01",
            "x",
            "",
        ]
    )
    rows.append(
        [
            company.credit_code,
            "",
            "失信",
            "投标",
            "法院",
            "法院",
            "执〔2026〕2号",
            "2026-13-01",
            "x",
            "",
        ]
    )

    with nothing_changes(CreditRecord):
        result = credit_import.import_file(csv_file(rows), name="bad.csv", actor=regulator)

    assert [(row, column) for row, column, _why in result.errors] == [
        (4, "bars"),
        (5, "decided_on"),
    ]
    assert all(" / " in why for _row, _column, why in result.errors)


def test_an_unregistered_subject_refuses_its_row_unless_asked_to_skip_it(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    rows = good_rows(company, expert_person)
    rows.append(
        [
            "91110000100000000B",
            "",
            "失信",
            "投标",
            "信用名单",
            "信用中国",
            "失信〔2026〕10号",
            "2026-03-01",
            "x",
            "",
        ]
    )
    refused = credit_import.import_file(csv_file(rows), name="a.csv", actor=regulator)
    skipped = credit_import.import_file(
        csv_file(rows), name="a.csv", actor=regulator, skip_unknown=True
    )
    assert [(row, column) for row, column, _ in refused.errors] == [(4, "credit_code")]
    assert (skipped.entered, skipped.unknown) == (2, 1)


def test_an_xlsx_file_is_read_with_its_dates(
    regulator: Person, company: Organisation, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        [
            company.credit_code,
            None,
            "penalty",
            "bidding",
            "decision",
            "水利局",
            "水罚〔2026〕7号",
            dt.datetime(2026, 3, 2),
            "串标",
            None,
        ]
    )
    path = tmp_path / "records.xlsx"
    book.save(path)

    with path.open("rb") as raw:
        result = credit_import.import_file(raw, name=path.name, actor=regulator)

    assert result.entered == 1
    assert CreditRecord.objects.get().decided_on == dt.date(2026, 3, 2)


def test_an_import_refuses_a_file_too_large_or_of_another_kind(regulator: Person) -> None:
    with pytest.raises(DomainError) as large:
        credit_import.import_file(
            io.BytesIO(b"x" * (credit_import.MAX_BYTES + 1)), name="a.csv", actor=regulator
        )
    with pytest.raises(DomainError) as kind:
        credit_import.import_file(io.BytesIO(b"x"), name="a.txt", actor=regulator)
    with pytest.raises(DomainError) as header:
        credit_import.import_file(io.BytesIO(b"kind,bars\n"), name="a.csv", actor=regulator)
    assert (large.value.code, kind.value.code, header.value.code) == (
        "too_large",
        "invalid",
        "invalid",
    )


def test_the_command_reports_each_refused_row_and_exits_1(
    regulator: Person, company: Organisation, expert_person: Person, tmp_path: Path
) -> None:
    rows = good_rows(company, expert_person)
    rows[0][2] = "谣言"
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_file(rows).getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_credit_records", str(path), "--as", "regulator", stderr=err)
    assert failed.value.returncode == 1
    assert "row 2, column kind" in err.getvalue()
    assert CreditRecord.objects.count() == 0

    path.write_bytes(csv_file(good_rows(company, expert_person)).getvalue())
    out = io.StringIO()
    call_command("import_credit_records", str(path), "--as", "regulator", stdout=out)
    assert "2 record(s) entered" in out.getvalue()


# --- Access --------------------------------------------------------------------------------


@pytest.fixture
def records(
    regulator: Person, company: Organisation, expert_person: Person
) -> dict[str, CreditRecord]:
    return {
        "company": credit.record_enter(entry=entry(organisation=company), actor=regulator),
        "expert": credit.record_enter(
            entry=entry(person=expert_person, bars=CreditBar.EVALUATING), actor=regulator
        ),
        "ended": credit.record_enter(
            entry=entry(
                organisation=company,
                decision_number="旧〔2020〕1号",
                decided_on=dt.date(2020, 1, 1),
                ends_on=dt.date(2020, 12, 31),
            ),
            actor=regulator,
        ),
    }


def seen(user: Any, record: CreditRecord) -> bool:
    try:
        credit_access.record_for(user, record.pk)
    except Http404:
        return False
    return True


def test_who_sees_which_record(
    records: dict[str, CreditRecord],
    regulator: Person,
    staff: Person,
    owner: Person,
    other_party: Person,
    expert_person: Person,
) -> None:
    superuser = PersonFactory.create(organisation=None, role="", is_superuser=True)
    colleague = PersonFactory.create(organisation=owner.organisation, role=Role.BIDDER)
    table = {
        name: [seen(user, records[key]) for key in ("company", "expert", "ended")]
        for name, user in {
            "regulator": regulator,
            "staff": staff,
            "owner": owner,
            "colleague": colleague,
            "other": other_party,
            "expert": expert_person,
            "superuser": superuser,
        }.items()
    }
    assert table == {
        "regulator": [True, True, True],
        "staff": [True, True, False],  # in force only
        "owner": [True, False, True],  # its organisation's, any state
        "colleague": [True, False, True],
        "other": [False, False, False],
        "expert": [False, True, False],  # about themselves
        "superuser": [False, False, False],
    }


def test_who_manages_a_record(
    records: dict[str, CreditRecord], regulator: Person, other_regulator: Person, staff: Person
) -> None:
    assert credit_access.record_for(regulator, records["company"].pk, manage=True)
    for user in (other_regulator, staff):
        with pytest.raises(PermissionDenied):
            credit_access.record_for(user, records["company"].pk, manage=True)
    with pytest.raises(Http404):
        credit_access.record_for(regulator, 987654321)


def test_the_records_list_shows_staff_only_those_in_force(
    records: dict[str, CreditRecord], regulator: Person, staff: Person, owner: Person
) -> None:
    assert set(credit_access.records_for(regulator)) == set(records.values())
    assert set(credit_access.records_for(staff)) == {records["company"], records["expert"]}
    assert list(credit_access.records_for(owner)) == []


# --- Pages ---------------------------------------------------------------------------------


def test_the_public_list_names_organisations_and_nothing_about_persons(
    records: dict[str, CreditRecord], company: Organisation, client: Any
) -> None:
    page = client.get(reverse("credit:dishonest")).content.decode()
    assert company.credit_code in page
    assert "水罚〔2026〕1号" in page
    assert "expert-wang" not in page
    assert "旧〔2020〕1号" not in page  # expired
    assert "串通投标" not in page  # the reason stays on the internal page


def test_the_public_list_searches_by_name_or_code(
    records: dict[str, CreditRecord], company: Organisation, client: Any
) -> None:
    found = client.get(reverse("credit:dishonest"), {"q": company.credit_code})
    missing = client.get(reverse("credit:dishonest"), {"q": "无此公司"})
    assert company.name in found.content.decode()
    assert company.name not in missing.content.decode()


def test_a_regulator_enters_a_record_through_the_form(
    regulator: Person, company: Organisation
) -> None:
    response = client_for(regulator).post(
        reverse("credit:enter"),
        {
            "credit_code": company.credit_code,
            "kind": "penalty",
            "bars": "bidding",
            "source": "decision",
            "authority": "水利局",
            "decision_number": "水罚〔2026〕8号",
            "decided_on": "2026-03-05",
            "reason": "弄虚作假 [R68]",
            "ends_on": "2028-03-04",
        },
    )
    record = CreditRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("credit:record", kwargs={"pk": record.pk})
    assert record.ends_on == dt.date(2028, 3, 4)


def test_the_form_shows_a_refusal_on_its_field(regulator: Person, expert_person: Person) -> None:
    response = client_for(regulator).post(
        reverse("credit:enter"),
        {
            "username": expert_person.username,
            "kind": "penalty",
            "bars": "bidding",
            "source": "decision",
            "authority": "水利局",
            "decision_number": "水罚〔2026〕8号",
            "decided_on": "2026-03-05",
            "reason": "x",
        },
    )
    assert response.status_code == 200
    assert "Only an organisation is barred from bidding" in response.content.decode()
    assert not CreditRecord.objects.exists()


def test_a_regulator_revokes_and_corrects_through_the_pages(
    records: dict[str, CreditRecord], regulator: Person, company: Organisation
) -> None:
    client = client_for(regulator)
    old = records["company"]
    response = client.post(
        reverse("credit:correct", kwargs={"pk": old.pk}),
        {
            "revoke-reason": "文号有误",
            "credit_code": company.credit_code,
            "kind": "penalty",
            "bars": "bidding",
            "source": "decision",
            "authority": "某市水利局",
            "decision_number": "水罚〔2026〕11号",
            "decided_on": "2026-03-01",
            "reason": "串通投标 [R67]",
        },
    )
    new = CreditRecord.objects.get(corrects=old)
    assert response.status_code == 302
    client.post(reverse("credit:revoke", kwargs={"pk": new.pk}), {"reason": "复议撤销"})
    new.refresh_from_db()
    assert new.revoke_reason == "复议撤销"


def test_the_import_page_enters_nothing_when_a_row_is_refused(
    regulator: Person, company: Organisation, expert_person: Person
) -> None:
    rows = good_rows(company, expert_person)
    rows[1][3] = "投标"  # a person cannot be barred from bidding
    upload = SimpleUploadedFile("list.csv", csv_file(rows).getvalue(), content_type="text/csv")
    response = client_for(regulator).post(reverse("credit:import"), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-errors"' in page
    assert "<code>bars</code>" in page
    assert not CreditRecord.objects.exists()


def test_an_organisation_reads_its_own_records_and_no_one_elses(
    records: dict[str, CreditRecord], owner: Person, other_party: Person
) -> None:
    own = client_for(owner).get(reverse("credit:mine")).content.decode()
    other = client_for(other_party).get(reverse("credit:mine")).content.decode()
    assert own.count('class="credit-row"') == 2
    assert "expert-wang" not in own
    assert 'class="credit-row"' not in other


def test_staff_read_the_list_but_neither_enter_nor_import(staff: Person) -> None:
    client = client_for(staff)
    assert client.get(reverse("credit:records")).status_code == 200
    assert client.get(reverse("credit:enter")).status_code == 403
    assert client.get(reverse("credit:import")).status_code == 403
