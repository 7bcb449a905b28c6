"""Import and match a bank statement: 100,000 CSV lines through ``deposits.statement``
(check each line, match it to its deposit or hold it, book it in double entry, ledger it),
on PostgreSQL, against a baseline measured in the same run: PostgreSQL's COPY of the same
CSV file into a plain table with the same columns (no matching, no books, no ledger). It
also measures the floor: the same lines COPYed into deposits_bankline and one entry per
deposit into the books, keys and foreign keys checked, nothing decided (rolled back).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ggzy python -m bench.bench_deposits
    … --exact   the line-by-line path (what SQLite and odd files take)

The statement mixes what a centre's bank sends: deposits from basic accounts (most), part
payments and over-payments, money from another account (held for review), money to unknown
sub-accounts (held unmatched). 1,000 sections × 100 bidders = 100,000 sub-accounts, each
with its deposit account open in the books (as ``collection.sub_account_for`` opens them).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from bench import setup

DEPOSIT = Decimal("10000.00")


def _sections(count: int) -> list[int]:
    """``count`` sections taking deposits: one made through the services, the rest copies."""
    from trading.models import Section

    parties = setup.parties(bidders=1)
    first = setup.section_for_bids(parties)
    Section.objects.filter(pk=first.pk).update(bid_deposit=DEPOSIT)
    first.refresh_from_db()
    copies = []
    for n in range(1, count):
        copy = Section.objects.get(pk=first.pk)
        copy.pk = None
        copy.code = f"{first.code}-{n:04d}"
        copies.append(copy)
    Section.objects.bulk_create(copies, batch_size=1000)
    return list(Section.objects.order_by("pk").values_list("pk", flat=True))


def _bidders(count: int) -> list[tuple[int, str]]:
    """Bidder organisations with registered basic accounts: (id, account number)."""
    from accounts.models import Organisation, OrganisationKind
    from deposits.models import BasicAccount
    from ggzy import clock

    admin = setup.superuser()
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"bench bidder {n}",
            credit_code=setup.credit_code(1000 + n),
            kind=OrganisationKind.BIDDER,
            legal_representative="bench",
            created_at=clock.now(),
        )
        for n in range(count)
    )
    BasicAccount.objects.bulk_create(
        BasicAccount(
            organisation=organisation,
            number=f"62220000{n:08d}",
            name=organisation.name,
            bank="bench bank",
            registered_at=clock.now(),
            registered_by=admin,
        )
        for n, organisation in enumerate(organisations)
    )
    return [(o.pk, f"62220000{n:08d}") for n, o in enumerate(organisations)]


def _statement(path: Path, sections: list[int], bidders: list[tuple[int, str]]) -> Counter[str]:
    """Open a sub-account per section and bidder; write one line for each (a mix)."""
    from django.conf import settings

    from deposits import books, statement_format
    from deposits.models import BookAccount, BookAccountKind, SubAccount
    from ggzy import clock
    from ggzy_core import subaccount

    now = clock.now()
    subs = []
    numbers: set[str] = set()
    for section in sections:
        for bidder, _account in bidders:
            number = subaccount.new_number(settings.DEPOSIT_SUBACCOUNT_PREFIX)
            while number in numbers:
                number = subaccount.new_number(settings.DEPOSIT_SUBACCOUNT_PREFIX)
            numbers.add(number)
            subs.append(
                SubAccount(number=number, section_id=section, bidder_id=bidder, created_at=now)
            )
    SubAccount.objects.bulk_create(subs, batch_size=5000)
    # What collection.sub_account_for does with each: open its deposit account in the books.
    BookAccount.objects.bulk_create(
        (
            BookAccount(
                key=books.deposit_key(sub.section_id, sub.bidder_id),
                kind=BookAccountKind.DEPOSIT,
                section_id=sub.section_id,
                organisation_id=sub.bidder_id,
            )
            for sub in subs
        ),
        batch_size=5000,
    )
    accounts = dict(bidders)
    kinds: Counter[str] = Counter()
    booked = now - dt.timedelta(hours=1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(statement_format.FIELDS)
        for n, sub in enumerate(subs):
            payer, amount, kind = accounts[sub.bidder_id], DEPOSIT, "deposit"
            if n % 50 == 1:
                amount, kind = DEPOSIT + Decimal("500.00"), "over-payment"
            elif n % 50 == 2:
                amount, kind = Decimal("4000.00"), "part payment"
            elif n % 50 == 3:
                payer, kind = "95550000" + f"{n:08d}", "other payer"
            account = sub.number
            if n % 50 == 4:
                account, kind = "8866" + f"{n:012d}", "unknown sub-account"
            kinds[kind] += 1
            writer.writerow(
                [
                    f"BENCH{n:09d}",
                    "credit",
                    account,
                    payer,
                    "bench payer",
                    f"{amount}",
                    (booked + dt.timedelta(milliseconds=n)).isoformat(),
                    "投标保证金",
                ]
            )
    return kinds


def _copy_baseline(path: Path) -> float:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain_statement (reference varchar(64), direction varchar(8), "
            "account varchar(34), counterparty_account varchar(34), counterparty_name "
            "varchar(200), amount numeric(18,2), booked_at timestamptz, memo varchar(200))"
        )
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy("COPY bench_plain_statement FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        path.open("rb") as source,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - started


def _floor(path: Path) -> float:
    """What storing the lines costs with nothing decided: COPY the file's lines into
    deposits_bankline (placed, counted, booked) and one entry per deposit into the books,
    every key and foreign key checked as it goes, then roll back."""
    from django.db import connection, transaction

    from deposits import books, statement_format
    from deposits.models import BookAccount, BookTransaction, SubAccount
    from ggzy import clock

    subs = {
        number: (section, bidder)
        for number, section, bidder in SubAccount.objects.values_list(
            "number", "section_id", "bidder_id"
        )
    }
    deposits = dict(BookAccount.objects.filter(kind="deposit").values_list("key", "pk"))
    now = clock.now().isoformat()
    with transaction.atomic():
        booking = BookTransaction.objects.create(
            key="bench:floor", kind="arrival", value_date=clock.now().date(), posted_at=clock.now()
        )
        lines, entries = [], []
        with path.open(encoding="utf-8", newline="") as source:
            for row in csv.DictReader(source):
                section, bidder = subs.get(row["account"], (None, None))
                placed = [r"\N", r"\N"] if section is None else [str(section), str(bidder)]
                lines.append(
                    "\t".join(
                        [
                            *(row[name] for name in statement_format.FIELDS),
                            "csv",
                            now,
                            "matched",
                            *placed,
                            row["amount"],
                            str(booking.pk),
                        ]
                    )
                )
                if section is not None:
                    account = deposits[books.deposit_key(section, bidder)]
                    entries.append(f"{booking.pk}\t{account}\t-{row['amount']}")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            started = time.perf_counter()
            with cursor.copy(
                "COPY deposits_bankline (reference, direction, account, counterparty_account, "
                "counterparty_name, amount, booked_at, memo, source, received_at, outcome, "
                "section_id, bidder_id, counted, booking_id) FROM STDIN"
            ) as copy:
                copy.write("\n".join(lines) + "\n")
            with cursor.copy(
                "COPY deposits_bookentry (transaction_id, account_id, amount) FROM STDIN"
            ) as copy:
                copy.write("\n".join(entries) + "\n")
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


class _Steps:
    """Each statement's time during the import, by the first words of its SQL."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = " ".join(sql.split()[:6])
            self.seconds[words[:60]] += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=1000)
    parser.add_argument("--bidders", type=int, default=100)
    parser.add_argument(
        "--exact",
        action="store_true",
        help="import line by line (statement.import_lines), the path of other databases",
    )
    options = parser.parse_args()
    with setup.scratch("deposits") as (work, database):
        if not database.startswith("PostgreSQL"):
            raise SystemExit("set DATABASE_URL to PostgreSQL: the baseline is its COPY")
        setup.django_setup()
        from django.db import connection
        from django.db.models import Count, Sum

        from deposits import statement, statement_copy
        from deposits.models import BankLine, BookEntry

        path = work / "statement.csv"
        kinds = _statement(path, _sections(options.sections), _bidders(options.bidders))
        lines = sum(kinds.values())
        baseline = _copy_baseline(path)
        floor = _floor(path)
        steps = _Steps()
        started = time.perf_counter()
        with connection.execute_wrapper(steps), ExitStack() as stack:
            if options.exact:
                stack.enter_context(
                    mock.patch.object(statement_copy, "import_csv", return_value=None)
                )
            imported = statement.import_csv(path)
        ours = time.perf_counter() - started
        assert imported.new == lines, imported
        assert BookEntry.objects.aggregate(total=Sum("amount"))["total"] == 0
        print(f"database: {database}; {lines:,} lines: {dict(kinds)}")
        outcomes = BankLine.objects.values_list("outcome").annotate(n=Count("pk"))
        print(f"outcomes: {dict(outcomes)}")
        for name, seconds in (
            ("baseline: COPY into a plain table", baseline),
            ("floor: COPY into the real tables", floor),
            ("ggzy: import, match, book, ledger" + (" (exact)" if options.exact else ""), ours),
        ):
            print(f"{name:<36} {seconds:8.2f} s {lines / seconds:>10,.0f} lines/s")
        print(f"ratio (baseline time / ggzy time): {baseline / ours:.3f}x   (target >= 0.25x)")
        print(f"floor (baseline time / floor time): {baseline / floor:.3f}x")
        print("where ggzy's time goes (statements over 1 %; the rest is Python and COMMIT):")
        for words, seconds in sorted(steps.seconds.items(), key=lambda item: -item[1]):
            if seconds > ours / 100:
                print(f"  {seconds:6.2f} s  {words}")
        print(f"  {ours - sum(steps.seconds.values()):6.2f} s  (the rest)")


if __name__ == "__main__":
    main()
