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

from accounts import credit
from accounts.models import Person
from experts import seats as calling
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
from trading.models import Section, SectionStatus
from trading.signals import bidders_of

MIN_COMMITTEE = 5  # [L37]: five or more, an odd number
# Sections past the point where a committee could still evaluate them.
OVER = frozenset(
    {
        SectionStatus.FAILED,
        SectionStatus.CANCELLED,
        SectionStatus.PUBLICITY,
        SectionStatus.AWARDED,
        SectionStatus.CONTRACTED,
        SectionStatus.ARCHIVED,
    }
)


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
    outside_city: str = "",
    outside_min: int = 0,
) -> Draw:
    """Ask for a committee: experts per specialty (with backups) and the tenderee's
    representatives, and for cross-region evaluation at least ``outside_min`` experts from
    outside the city ``outside_city`` (four digits). Bidders are known only after the
    deadline, so the draw waits for it."""
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
    if outside_min and not (len(outside_city) == 4 and outside_city.isdigit()):
        raise DomainError(
            "异地评标须写明本地城市的行政区划代码前4位（如 3201）/ For cross-region evaluation "
            "name the home city by the first four digits of its region code (e.g. 3201)",
            code="invalid",
            field="outside_city",
        )
    if not 0 <= outside_min <= experts:
        raise DomainError(
            f"外地专家人数须在 0 至 {experts} 之间 / The experts from outside the city are 0 to "
            f"{experts}, the experts requested",
            code="invalid",
            field="outside_min",
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
    if section.status in OVER:
        raise DomainError(
            f"标段处于“{SectionStatus(section.status).label}”状态，不能抽取评标专家 / The section is "
            f"{section.status}: a committee is drawn for a section being opened or evaluated",
            code="conflict",
        )
    with transaction.atomic():
        draw = Draw.objects.create(
            section=section,
            requested_by=actor,
            requested_at=clock.now(),
            evaluation_on=evaluation_on,
            representatives=representatives,
            outside_city=outside_city if outside_min else "",
            outside_min=outside_min,
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
                "outside": [outside_city, outside_min] if outside_min else None,
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
        pool, exclusions, outside = eligible(locked, needs)
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
        drawn = order.seats(
            order.seed(secret, committed.entry_hash),
            _needs(needs),
            pool,
            outside=outside,
            outside_min=locked.outside_min,
        )
        _refuse_if_short(locked, needs, drawn, pool)
        locked.commitment = order.commitment(secret)
        locked.secret = secret.hex()
        locked.anchor = committed.entry_hash
        locked.pool = pool
        locked.outside = sorted(outside)
        locked.status = DrawStatus.DRAWN
        locked.drawn_at = clock.now()
        locked.save()
        Exclusion.objects.bulk_create(exclusions)
        _store(locked, needs, drawn)
        calling.call_members(locked)
        ledger.append(
            "experts.draw.drawn",
            actor=actor,
            target=locked,
            data={
                "members": sum(1 for seat in drawn if seat.role == order.MEMBER),
                "backups": sum(1 for seat in drawn if seat.role == order.BACKUP),
            },
        )
    return list(locked.seats.all())


def replay(draw: Draw) -> list[order.Seat]:
    """The seats recomputed from the stored secret, anchor and pool; a DomainError if the
    secret does not match the ledgered commitment."""
    secret = bytes.fromhex(draw.secret)
    if order.commitment(secret) != draw.commitment:
        raise DomainError(
            "秘密值与承诺不符 / The secret does not match the commitment", code="conflict"
        )
    needs = _needs(list(draw.needs.select_related("specialty")))
    return order.seats(
        order.seed(secret, draw.anchor),
        needs,
        draw.pool,
        outside=set(draw.outside),
        outside_min=draw.outside_min,
    )


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
        data={
            "preimage": draw.secret,
            "anchor": draw.anchor,
            "pool": draw.pool,
            "outside": draw.outside,
        },
    )


def eligible(
    draw: Draw, needs: Sequence[DrawNeed]
) -> tuple[dict[str, list[str]], list[Exclusion], set[str]]:
    """Each need's eligible expert numbers, and the avoided experts with their reasons.

    Eligible: active, eight years of practice by the evaluation day [L37], the specialty or
    one below it, not unavailable that day. Avoided [P12, R46], each with its first reason:
    a penalty in force, a credit record barring the person from evaluating [R71], works for
    a bidder or the tenderee, staff of a supervising department, a declared relationship
    with a bidder or the tenderee, sat for the same tenderee lately. One query a need: the
    avoidance facts come with each candidate."""
    day = draw.evaluation_on
    tenderee = draw.section.project.tenderee.credit_code
    bidders: set[str] = set()
    for _receiver, answer in bidders_of.send(sender=Section, section=draw.section):
        bidders |= set(answer or ())
    in_force = Q(until__isnull=True) | Q(until__gte=day)
    # The avoidance facts are few: read each once, not once a candidate.
    penalties = dict(
        Penalty.objects.filter(in_force, imposed_on__lte=day).values_list("expert", "authority")
    )
    # A credit record on the expert's person that bars evaluating, in force that day [R71].
    barred = credit.barred_from_evaluating(on=day)
    recorded = {
        pk: f"{barred[person].authority} {barred[person].decision_number}"
        for pk, person in Expert.objects.filter(person_id__in=barred).values_list("pk", "person")
    }
    related = {
        pk: f"{kind} {code}"
        for pk, kind, code in Relationship.objects.filter(
            in_force, credit_code__in=bidders | {tenderee}
        ).values_list("expert", "kind", "credit_code")
    }
    cooled = dict(
        Seat.objects.filter(
            role=SeatRole.MEMBER,
            draw__section__project__tenderee__credit_code=tenderee,
            draw__evaluation_on__gte=day - dt.timedelta(days=settings.EXPERT_COOL_DOWN_DAYS),
            draw__evaluation_on__lte=day,
        )
        .exclude(draw=draw)
        .values_list("expert", "draw__section__code")
    )
    away = Unavailability.objects.filter(
        expert=OuterRef("pk"), starts_on__lte=day, ends_on__gte=day
    )
    candidates = Expert.objects.filter(
        ~Exists(away),
        status=ExpertStatus.ACTIVE,
        practice_since__lte=day.year - MIN_YEARS_OF_PRACTICE,
    )
    supervising = set(settings.EXPERT_SUPERVISING_DEPARTMENTS)
    facts = penalties.keys() | recorded.keys() | related.keys() | cooled.keys()
    through = Expert.specialties.through
    # The region is read only for a cross-region rule (a column less for every other draw).
    fields = ("pk", "number", "employer_credit_code", *(("region",) if draw.outside_min else ()))
    pool: dict[str, list[str]] = {}
    avoided: dict[int, tuple[str, str]] = {}
    outside: set[str] = set()
    for need in needs:
        code = need.specialty.code
        rows = candidates.filter(
            Exists(through.objects.filter(expert=OuterRef("pk"), specialty__code__startswith=code))
        ).values_list(*fields)
        numbers = []
        watched = bidders | supervising | {tenderee}
        for pk, number, employer, *place in rows:
            if place and not place[0].startswith(draw.outside_city):
                outside.add(number)
            if employer not in watched and pk not in facts:
                numbers.append(number)  # nothing to avoid: most of the library
                continue
            reason = _avoidance(
                employer,
                penalties.get(pk),
                recorded.get(pk),
                related.get(pk),
                cooled.get(pk),
                tenderee,
                bidders,
                supervising,
            )
            if reason is None:
                numbers.append(number)
            else:
                avoided.setdefault(pk, reason)
        pool[code] = sorted(numbers)
    exclusions = [
        Exclusion(draw_id=draw.pk, expert_id=pk, reason=reason, detail=detail[:200])
        for pk, (reason, detail) in sorted(avoided.items())
    ]
    eligible_numbers = {number for numbers in pool.values() for number in numbers}
    return pool, exclusions, outside & eligible_numbers


def _avoidance(
    employer: str,
    penalty: str | None,
    recorded: str | None,
    related: str | None,
    cooled: str | None,
    tenderee: str,
    bidders: set[str],
    supervising: set[str],
) -> tuple[str, str] | None:
    """The first reason to avoid a candidate, with its detail; None to keep them."""
    if penalty is not None:
        return AvoidanceReason.PENALTY, penalty
    if recorded is not None:
        return AvoidanceReason.CREDIT_RECORD, recorded
    if employer and employer in bidders:
        return AvoidanceReason.EMPLOYER_BIDDER, employer
    if employer and employer == tenderee:
        return AvoidanceReason.EMPLOYER_TENDEREE, employer
    if employer and employer in supervising:
        return AvoidanceReason.SUPERVISOR, employer
    if related is not None:
        return AvoidanceReason.RELATIONSHIP, related
    if cooled is not None:
        return AvoidanceReason.COOL_DOWN, cooled
    return None


def _needs(needs: Sequence[DrawNeed]) -> list[order.Need]:
    return [order.Need(need.specialty.code, need.count, need.backups) for need in needs]


def _refuse_if_short(
    draw: Draw, needs: Sequence[DrawNeed], drawn: Sequence[order.Seat], pool: dict[str, list[str]]
) -> None:
    members = sum(1 for seat in drawn if seat.role == order.MEMBER)
    if draw.outside_min and members < sum(need.count for need in needs):
        raise DomainError(
            f"可选的外地专家不足 {draw.outside_min} 人（本地城市 {draw.outside_city}），请放宽专业、"
            f"减少外地人数或改日后重新申请 / Fewer than {draw.outside_min} eligible experts come "
            f"from outside the city {draw.outside_city}: request again with a wider specialty, "
            "fewer from outside, or another day",
            code="too_few",
        )
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


def _store(draw: Draw, needs: Sequence[DrawNeed], drawn: Sequence[order.Seat]) -> None:
    by_code = {need.specialty.code: need for need in needs}
    experts = dict(
        Expert.objects.filter(number__in=[seat.number for seat in drawn]).values_list(
            "number", "pk"
        )
    )
    Seat.objects.bulk_create(
        Seat(
            draw=draw,
            order=index,
            need=by_code[seat.code],
            expert_id=experts[seat.number],
            role=seat.role,
        )
        for index, seat in enumerate(drawn)
    )
