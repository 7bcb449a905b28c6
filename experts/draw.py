"""The committee draw: a request, the eligible pool with every avoided expert and its reason,
a commitment ledgered before the draw, seats in an order anyone can recompute
(``ggzy_core.draw``), and a replay that checks the stored seats against it.

No name, phone or expert number reaches the ledger before the result is set [L37]: the
entries carry counts and the commitment; ``draw_reveal`` ledgers the secret and the pool.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import Person
from experts.models import (
    MIN_YEARS_OF_PRACTICE,
    AvoidanceReason,
    Draw,
    DrawNeed,
    DrawStatus,
    Exclusion,
    Expert,
    ExpertStatus,
    Penalty,
    Relationship,
    Seat,
    SeatRole,
    Specialty,
    Unavailability,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core import draw as order
from supervision import ledger
from trading.models import Section
from trading.signals import bidders_of

MIN_COMMITTEE = 5  # [L37]: five or more, an odd number


@dataclass(frozen=True)
class Wanted:
    specialty: Specialty
    count: int
    backups: int = 1


def draw_request(
    *,
    section: Section,
    wanted: Sequence[Wanted],
    representatives: int,
    evaluation_on: dt.date,
    actor: Person,
) -> Draw:
    """Ask for a committee: experts per specialty (with backups) and the tenderee's
    representatives. Bidders are known only after the deadline, so the draw waits for it."""
    experts = sum(item.count for item in wanted)
    total = experts + representatives
    if total < MIN_COMMITTEE or total % 2 == 0:
        raise DomainError(
            f"评标委员会须为 5 人以上单数，现为 {total} 人 [L37] / The committee must have five "
            f"or more members, an odd number; this request makes {total} [L37]",
            code="invalid",
            field="wanted",
        )
    if experts * 3 < total * 2:
        raise DomainError(
            f"专家须占成员总数三分之二以上（{experts}/{total}）[L37, P9] / Experts must be at "
            f"least two thirds of the committee ({experts} of {total}) [L37, P9]",
            code="invalid",
            field="representatives",
        )
    codes = [item.specialty.code for item in wanted]
    if len(set(codes)) != len(codes) or any(item.count < 1 or item.backups < 0 for item in wanted):
        raise DomainError(
            "每个专业只列一次，人数至少 1 / Name each specialty once, with one member or more",
            code="invalid",
            field="wanted",
        )
    if clock.now() < section.bid_deadline:
        raise DomainError(
            "投标截止前不能抽取专家（投标人尚未确定）/ Experts are drawn after the bid deadline, "
            "when the bidders to avoid are known: request the draw after the opening",
            code="too_early",
        )
    with transaction.atomic():
        draw = Draw.objects.create(
            section=section,
            requested_by=actor,
            requested_at=clock.now(),
            evaluation_on=evaluation_on,
            representatives=representatives,
        )
        DrawNeed.objects.bulk_create(
            DrawNeed(
                draw=draw,
                order=index,
                specialty=item.specialty,
                count=item.count,
                backups=item.backups,
            )
            for index, item in enumerate(wanted)
        )
        ledger.append(
            "experts.draw.requested",
            actor=actor,
            target=draw,
            data={
                "section": section.code,
                "needs": [[item.specialty.code, item.count, item.backups] for item in wanted],
                "representatives": representatives,
                "evaluation_on": evaluation_on,
            },
        )
    return draw


def draw_run(*, draw: Draw, actor: Person) -> list[Seat]:
    """Draw the committee: pool and avoidance, the commitment in the ledger, then the seats.
    Too few eligible experts for a need refuses the draw and keeps nothing."""
    with transaction.atomic():
        locked = (
            Draw.objects.select_for_update()
            .select_related("section__project__tenderee")
            .get(pk=draw.pk)
        )
        if locked.status != DrawStatus.REQUESTED:
            raise DomainError(
                "该次抽取已完成 / This draw has been made already: replay it to check it",
                code="conflict",
            )
        needs = list(locked.needs.select_related("specialty"))
        pool, exclusions = eligible(locked, needs)
        secret = secrets.token_bytes(32)
        committed = ledger.append(
            "experts.draw.committed",
            actor=actor,
            target=locked,
            data={
                "section": locked.section.code,
                "commitment": order.commitment(secret),
                "eligible": {code: len(numbers) for code, numbers in pool.items()},
                "avoided": len(exclusions),
            },
        )
        drawn = order.seats(order.seed(secret, committed.entry_hash), _needs(needs), pool)
        _refuse_if_short(needs, drawn, pool)
        locked.commitment = order.commitment(secret)
        locked.secret = secret.hex()
        locked.anchor = committed.entry_hash
        locked.pool = pool
        locked.status = DrawStatus.DRAWN
        locked.drawn_at = clock.now()
        locked.save()
        Exclusion.objects.bulk_create(exclusions)
        seats = _store(locked, needs, drawn)
        ledger.append(
            "experts.draw.drawn",
            actor=actor,
            target=locked,
            data={
                "members": sum(1 for seat in drawn if seat.role == order.MEMBER),
                "backups": sum(1 for seat in drawn if seat.role == order.BACKUP),
            },
        )
    return seats


def replay(draw: Draw) -> list[order.Seat]:
    """The seats recomputed from the stored secret, anchor and pool; a DomainError if the
    secret does not match the ledgered commitment."""
    secret = bytes.fromhex(draw.secret)
    if order.commitment(secret) != draw.commitment:
        raise DomainError(
            "秘密值与承诺不符 / The secret does not match the commitment", code="conflict"
        )
    needs = _needs(list(draw.needs.select_related("specialty")))
    return order.seats(order.seed(secret, draw.anchor), needs, draw.pool)


def stored(draw: Draw) -> list[order.Seat]:
    return [
        order.Seat(seat.need.specialty.code, seat.role, seat.expert.number)
        for seat in draw.seats.select_related("need__specialty", "expert")
    ]


def draw_reveal(*, draw: Draw, actor: Person | None = None) -> None:
    """Once the result is set: ledger the secret and the pool, so that anyone can replay."""
    ledger.append(
        "experts.draw.revealed",
        actor=actor,
        target=draw,
        # "preimage", not "secret": the ledger masks keys that look like credentials.
        data={"preimage": draw.secret, "anchor": draw.anchor, "pool": draw.pool},
    )


def eligible(draw: Draw, needs: Sequence[DrawNeed]) -> tuple[dict[str, list[str]], list[Exclusion]]:
    """Each need's eligible expert numbers, and the avoided experts with their reasons.

    Eligible: active, eight years of practice by the evaluation day [L37], the specialty or
    one below it, not unavailable that day. Avoided [P12, R46], each with its first reason:
    a penalty in force, works for a bidder or the tenderee, a declared relationship with one
    of them, staff of a supervising department, sat for the same tenderee lately."""
    day = draw.evaluation_on
    tenderee = draw.section.project.tenderee.credit_code
    bidders: set[str] = set()
    for _receiver, answer in bidders_of.send(sender=Section, section=draw.section):
        bidders |= set(answer or ())
    away = Unavailability.objects.filter(
        expert=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day
    )
    base = Expert.objects.filter(
        status=ExpertStatus.ACTIVE, practice_since__lte=day.year - MIN_YEARS_OF_PRACTICE
    ).filter(~Exists(away))
    candidates: dict[str, list[tuple[int, str, str]]] = {}
    for need in needs:
        candidates[need.specialty.code] = list(
            base.filter(specialties__code__startswith=need.specialty.code)
            .distinct()
            .values_list("pk", "number", "employer_credit_code")
        )
    ids = {pk for rows in candidates.values() for pk, _number, _employer in rows}
    reasons = _avoided(
        ids,
        {pk: employer for rows in candidates.values() for pk, _n, employer in rows},
        day,
        tenderee,
        bidders,
        draw,
    )
    pool = {
        code: sorted(number for pk, number, _employer in rows if pk not in reasons)
        for code, rows in candidates.items()
    }
    exclusions = [
        Exclusion(draw=draw, expert_id=pk, reason=reason, detail=detail)
        for pk, (reason, detail) in sorted(reasons.items())
    ]
    return pool, exclusions


def _avoided(
    ids: set[int],
    employers: dict[int, str],
    day: dt.date,
    tenderee: str,
    bidders: set[str],
    draw: Draw,
) -> dict[int, tuple[str, str]]:
    reasons: dict[int, tuple[str, str]] = {}

    def avoid(pk: int, reason: str, detail: str) -> None:
        reasons.setdefault(pk, (reason, detail))

    in_force = Q(until__isnull=True) | Q(until__gte=day)
    for pk, authority in Penalty.objects.filter(
        in_force, expert__in=ids, imposed_on__lte=day
    ).values_list("expert", "authority"):
        avoid(pk, AvoidanceReason.PENALTY, authority[:200])
    supervising = set(settings.EXPERT_SUPERVISING_DEPARTMENTS)
    for pk, employer in employers.items():
        if employer and employer in bidders:
            avoid(pk, AvoidanceReason.EMPLOYER_BIDDER, employer)
        elif employer and employer == tenderee:
            avoid(pk, AvoidanceReason.EMPLOYER_TENDEREE, employer)
        elif employer and employer in supervising:
            avoid(pk, AvoidanceReason.SUPERVISOR, employer)
    for pk, code, kind in Relationship.objects.filter(
        in_force, expert__in=ids, credit_code__in=bidders | {tenderee}
    ).values_list("expert", "credit_code", "kind"):
        avoid(pk, AvoidanceReason.RELATIONSHIP, f"{kind} {code}")
    since = day - dt.timedelta(days=settings.EXPERT_COOL_DOWN_DAYS)
    for pk, section_code in (
        Seat.objects.filter(
            expert__in=ids,
            role=SeatRole.MEMBER,
            draw__section__project__tenderee__credit_code=tenderee,
            draw__evaluation_on__gte=since,
            draw__evaluation_on__lte=day,
        )
        .exclude(draw=draw)
        .values_list("expert", "draw__section__code")
    ):
        avoid(pk, AvoidanceReason.COOL_DOWN, section_code)
    return reasons


def _needs(needs: Sequence[DrawNeed]) -> list[order.Need]:
    return [order.Need(need.specialty.code, need.count, need.backups) for need in needs]


def _refuse_if_short(
    needs: Sequence[DrawNeed], drawn: Sequence[order.Seat], pool: dict[str, list[str]]
) -> None:
    for need in needs:
        members = sum(
            1 for seat in drawn if seat.code == need.specialty.code and seat.role == order.MEMBER
        )
        if members < need.count:
            raise DomainError(
                f"专业 {need.specialty.code} 需 {need.count} 人，回避后仅 "
                f"{len(pool[need.specialty.code])} 人可选，请放宽专业或地区后重新申请 / "
                f"Specialty {need.specialty.code} needs {need.count} but only "
                f"{len(pool[need.specialty.code])} eligible experts remain after avoidance: "
                "request again with a wider specialty (a shorter code) or region",
                code="too_few",
            )


def _store(draw: Draw, needs: Sequence[DrawNeed], drawn: Sequence[order.Seat]) -> list[Seat]:
    by_code = {need.specialty.code: need for need in needs}
    experts = dict(
        Expert.objects.filter(number__in=[seat.number for seat in drawn]).values_list(
            "number", "pk"
        )
    )
    return Seat.objects.bulk_create(
        Seat(
            draw=draw,
            order=index,
            need=by_code[seat.code],
            expert_id=experts[seat.number],
            role=seat.role,
        )
        for index, seat in enumerate(drawn)
    )
