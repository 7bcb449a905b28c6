"""The expert draw over a 100,000-expert library with 50 bidders to avoid: pool, avoidance
with recorded reasons, the commitment in the ledger, seats stored (``experts.draw.draw_run``),
against a baseline measured in the same run: one indexed query returning the same eligible
pool (every filter and every avoidance rule in SQL, nothing recorded). Target: the draw
under 3× that query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ggzy python -m bench.bench_draw

The library: experts spread over the sample code list's twelve specialties (experts/data),
employers drawn from 5,000 organisations among which the 50 bidders and the tenderee, 1 %
with a declared relationship, 0.5 % with a penalty in force, 2 % unavailable on the day.
The request: three members of A08 (two specialties below it) and two of D01, one backup each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import time
from typing import Any

from bench import setup

EVALUATION_ON = dt.date(2026, 6, 1)
RUNS = 5

POOL_QUERY = """
WITH needs(code) AS (VALUES ('A08'), ('D01'))
SELECT n.code, e.number
FROM needs n
JOIN experts_specialty s ON s.code LIKE n.code || '%%'
JOIN experts_expert_specialties es ON es.specialty_id = s.id
JOIN experts_expert e ON e.id = es.expert_id
WHERE e.status = 'active' AND e.practice_since <= %(latest)s
  AND NOT EXISTS (SELECT 1 FROM experts_unavailability u WHERE u.expert_id = e.id
                  AND u.starts_on <= %(day)s AND u.ends_on >= %(day)s)
  AND NOT EXISTS (SELECT 1 FROM experts_penalty p WHERE p.expert_id = e.id
                  AND p.imposed_on <= %(day)s AND (p.until IS NULL OR p.until >= %(day)s))
  AND NOT (e.employer_credit_code = ANY(%(avoid)s))
  AND NOT EXISTS (SELECT 1 FROM experts_relationship r WHERE r.expert_id = e.id
                  AND r.credit_code = ANY(%(avoid)s) AND (r.until IS NULL OR r.until >= %(day)s))
"""


def _library(size: int, bidders: list[str], tenderee: str) -> None:
    from django.core.management import call_command

    from experts.models import Expert, Penalty, Relationship, Specialty, Unavailability
    from ggzy import clock

    call_command("load_specialties", stdout=io.StringIO())
    leaves = [s for s in Specialty.objects.all() if not s.children.exists()]
    employers = [setup.credit_code(10_000 + n) for n in range(5_000 - len(bidders) - 1)]
    employers += [*bidders, tenderee]
    chance = random.Random(2026)
    now = clock.now()
    experts = Expert.objects.bulk_create(
        (
            Expert(
                number=f"E{n:06d}",
                name=f"专家{n}",
                phone=f"138{n:08d}",
                region="320100",
                employer_credit_code=chance.choice(employers),
                title="高级工程师",
                practice_since=chance.randint(1980, 2020),
                created_at=now,
                updated_at=now,
            )
            for n in range(size)
        ),
        batch_size=5000,
    )
    through = Expert.specialties.through
    through.objects.bulk_create(
        (through(expert_id=e.pk, specialty_id=chance.choice(leaves).pk) for e in experts),
        batch_size=5000,
    )
    Relationship.objects.bulk_create(
        Relationship(
            expert=e,
            kind="shareholding",
            credit_code=chance.choice(bidders),
            organisation_name="投标人",
        )
        for e in chance.sample(experts, size // 100)
    )
    Penalty.objects.bulk_create(
        Penalty(expert=e, imposed_on=EVALUATION_ON, authority="住建局", reason="bench")
        for e in chance.sample(experts, size // 200)
    )
    Unavailability.objects.bulk_create(
        Unavailability(expert=e, starts_on=EVALUATION_ON, ends_on=EVALUATION_ON)
        for e in chance.sample(experts, size // 50)
    )


def _request(section: Any, clerk: Any) -> Any:
    from experts.models import Draw, DrawNeed, Specialty
    from ggzy import clock

    draw = Draw.objects.create(
        section=section,
        requested_by=clerk,
        requested_at=clock.now(),
        evaluation_on=EVALUATION_ON,
        representatives=0,
    )
    for order, (code, count) in enumerate([("A08", 3), ("D01", 2)]):
        DrawNeed.objects.create(
            draw=draw,
            order=order,
            specialty=Specialty.objects.get(code=code),
            count=count,
            backups=1,
        )
    return draw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experts", type=int, default=100_000)
    parser.add_argument("--bidders", type=int, default=50)
    options = parser.parse_args()
    with setup.scratch("draw") as (_work, database):
        if not database.startswith("PostgreSQL"):
            raise SystemExit("set DATABASE_URL to PostgreSQL")
        setup.django_setup()
        from django.db import connection

        from experts import draw as draws
        from trading.signals import bidders_of

        parties = setup.parties(bidders=1)
        section = setup.section_for_bids(parties)
        tenderee = section.project.tenderee.credit_code
        bidders = [setup.credit_code(5_000 + n) for n in range(options.bidders)]
        bidders_of.connect(lambda sender, **kw: set(bidders), weak=False, dispatch_uid="bench")
        _library(options.experts, bidders, tenderee)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        clerk = setup.superuser()
        params: dict[str, Any] = {
            "latest": EVALUATION_ON.year - 8,
            "day": EVALUATION_ON,
            "avoid": [*bidders, tenderee],
        }
        query_times, draw_times = [], []
        pool: dict[str, set[str]] = {}
        for _run in range(RUNS):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(POOL_QUERY, params)
                rows = cursor.fetchall()
            query_times.append(time.perf_counter() - started)
            pool = {code: {number for c, number in rows if c == code} for code in ("A08", "D01")}
            draw = _request(section, clerk)
            started = time.perf_counter()
            draws.draw_run(draw=draw, actor=clerk)
            draw_times.append(time.perf_counter() - started)
            draw.refresh_from_db()
            # Cool-down excludes earlier runs' members from later ones: compare the first.
            if _run == 0:
                assert {code: set(numbers) for code, numbers in draw.pool.items()} == pool
        query, drawn = statistics.median(query_times), statistics.median(draw_times)
        print(f"database: {database}; {options.experts:,} experts, {options.bidders} bidders")
        print(f"eligible: A08 {len(pool['A08']):,}, D01 {len(pool['D01']):,}; medians of {RUNS}")
        print(f"baseline: one indexed query for the pool {query * 1000:8.1f} ms")
        print(f"ggzy: draw (pool, avoidance, ledger)   {drawn * 1000:8.1f} ms")
        print(f"ratio (draw time / query time): {drawn / query:.2f}x   (target < 3x)")


if __name__ == "__main__":
    main()
