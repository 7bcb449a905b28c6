"""`make demo-evaluation` (`manage.py demo_evaluation`): an evaluation to try after the demo
opening, one step a run.

Run after the demo opening's hall has closed, it draws five experts of the demo specialty
(the demo library has exactly five: expert1 always sits), confirms their seats, opens the
evaluation and does the other four members' part — two of them vote for expert1 as leader,
all four enter the evaluated prices and submit. The user does expert1's part on the pages;
run again once expert1 has concluded, the other four sign the report with their demo keys.
Each run says where the evaluation is and what to do next, in Chinese and English; running
it again changes nothing that is already done.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from accounts.models import Person
from config.management.commands.demo_data import (
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_SPECIALTY,
    EXPERTS,
    manage_command,
)
from experts import draw as draws
from experts import evaluation as evaluations
from experts import scoring, seats
from experts.models import (
    Draw,
    DrawStatus,
    Evaluation,
    EvaluationStatus,
    Member,
    SeatRole,
    SeatStatus,
    Specialty,
)
from ggzy import clock
from ggzy.errors import DomainError
from ggzy_core.evaluation import report_message
from ggzy_core.gm import sm2
from ggzy_core.times import BEIJING, beijing
from realtime.models import Hall, HallStage
from trading.models import Section, SectionStatus

COMMITTEE = 5  # all five demo experts of DEMO_SPECIALTY: expert1 always sits
HOURS = 4
USER = "expert1"  # the member the user plays; the command plays the others
FIRST_VOTES = 2  # of the others: with expert1's own vote, three of five elect expert1


def base_url() -> str:
    """Where `make demo` serves (scripts/run-demo: DEMO_HOST, DEMO_PORT)."""
    return (
        f"http://{os.environ.get('DEMO_HOST', '127.0.0.1')}:{os.environ.get('DEMO_PORT', '8000')}"
    )


class Command(BaseCommand):
    help = (
        "After the demo opening: draw the demo committee and open its evaluation, act for "
        "every member but expert1, and say what to do next (demo only; run it again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_evaluation 仅用于演示环境（DEBUG）/ demo_evaluation is for DEBUG (demo) "
                "installations only"
            )
        section = Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk")[1:2].first()
        if section is None:
            raise CommandError(
                "没有演示数据：请先运行 make demo / No demo data: run `make demo` first"
            )
        try:
            evaluation = Evaluation.objects.filter(section=section).first()
            if evaluation is None:
                self._refuse_unless_closed(section)
                evaluation = self._open(section)
            self._check_committee(evaluation)
            self._go_on(evaluation)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    # --- Before the evaluation -------------------------------------------------------------

    def _refuse_unless_closed(self, section: Section) -> None:
        hall = Hall.objects.filter(section=section).first()
        if hall is not None and hall.stage == HallStage.CLOSED:
            return
        host = f"{base_url()}/halls/{section.code}/"
        if hall is not None and hall.stage == HallStage.FAILED:
            raise CommandError(
                f"演示开标 {section.code} 未能开标（{hall.stage}），没有可评审的投标；请运行 "
                f"make demo-reset 重新开始 / The demo opening {section.code} failed (hall: "
                f"{hall.stage}): there is no bid to evaluate. Run `make demo-reset` to start again."
            )
        if hall is None or hall.stage == HallStage.WAITING:
            at = beijing(section.bid_deadline, milliseconds=False)
            where_zh, where_en = f"{at} 开标，尚未开始", f"it opens at {at}"
        else:
            label = hall.get_stage_display()
            where_zh, where_en = f"开标大厅处于“{label}”阶段", f"the hall is at “{hall.stage}”"
        raise CommandError(
            f"演示开标尚未结束（{where_zh}）。请以 centre 登录，在 {host} 主持开标直至结束（签到、"
            f"投标人名单、解密、唱标、确认、异议、结束），然后再运行 make demo-evaluation。/ The "
            f"demo opening {section.code} has not closed yet ({where_en}). Sign in as 'centre' "
            f"and host it to the end at {host} (sign-in, bidders, decryption, reading, "
            "confirmation, objections, closed), then run `make demo-evaluation` again."
        )

    def _open(self, section: Section) -> Evaluation:
        """Draw (or finish the draw already requested), confirm the members, open, and do
        the other members' first part: all in one transaction, kept whole or not at all."""
        centre = Person.objects.get(username="centre")
        with transaction.atomic():
            draw = Draw.objects.filter(section=section).order_by("-pk").first()
            if draw is None:
                draw = draws.draw_request(
                    section=section,
                    wanted=[draws.Wanted(Specialty.objects.get(code=DEMO_SPECIALTY), COMMITTEE, 0)],
                    representatives=0,
                    evaluation_on=clock.now().astimezone(BEIJING).date(),
                    actor=centre,
                )
            if draw.status == DrawStatus.REQUESTED:
                draws.draw_run(draw=draw, actor=centre)
            members = draw.seats.filter(role=SeatRole.MEMBER).select_related("expert__person")
            people = {seat.expert.person.username for seat in members if seat.expert.person}
            if draw.representatives or USER not in people or not people <= demo_usernames():
                raise CommandError(made_elsewhere(section))
            for seat in members.filter(status=SeatStatus.CALLED):
                assert seat.expert.person is not None  # nosec B101 # checked above
                seats.seat_answer(seat=seat, accept=True, actor=seat.expert.person)
            evaluation = evaluations.evaluation_open(draw=draw, actor=centre, hours=HOURS)
            self._others_score(evaluation)
        self.stdout.write(
            f"已抽取 {COMMITTEE} 名 {DEMO_SPECIALTY} 专业专家（无招标人代表），均已确认，评标已开始（{HOURS} "
            f"小时）/ Drew {COMMITTEE} experts of {DEMO_SPECIALTY} (no tenderee's representative), "
            f"confirmed every seat and opened the evaluation ({HOURS} hours)."
        )
        return evaluation

    def _check_committee(self, evaluation: Evaluation) -> None:
        people = set(evaluation.members.values_list("person__username", flat=True))
        if USER not in people or not people <= demo_usernames():
            raise CommandError(made_elsewhere(evaluation.section))

    # --- The evaluation, stage by stage ----------------------------------------------------

    def _go_on(self, evaluation: Evaluation) -> None:
        evaluation.refresh_from_db()
        if evaluation.status == EvaluationStatus.SCORING:
            self._others_score(evaluation)
            evaluation.refresh_from_db()
            self._scoring(evaluation)
        elif evaluation.status == EvaluationStatus.SIGNING:
            self._others_sign(evaluation)
            evaluation.refresh_from_db()
            if evaluation.status == EvaluationStatus.SIGNING:
                self._signing(evaluation)
            else:
                self._finished(evaluation)
        else:
            self._finished(evaluation)

    def _others_score(self, evaluation: Evaluation) -> None:
        """The other members' part while scoring: more time if it ran out, the evaluated
        prices (the prices read out) submitted, and votes for expert1 as leader."""
        user = user_member(evaluation)
        others = other_members(evaluation)
        if clock.now() >= evaluation.due_at:
            for member in others[:FIRST_VOTES]:  # two of five: more than a third [R48]
                if evaluations.time_short_say(
                    evaluation=evaluation, actor=member.person, short=True
                ):
                    self.stdout.write(
                        "评标时间已到：其他两名成员申请延长，评标时间已延长 / The time was over: two "
                        "other members said so and the evaluation is extended [R48]."
                    )
                    break
        for member in others:
            if member.submitted_at is not None:
                continue
            for bid in evaluation.bids.order_by("number"):
                scoring.score_set(
                    evaluation=evaluation,
                    actor=member.person,
                    bid=bid,
                    values={0: str(bid.price)},
                )
            scoring.scores_submit(evaluation=evaluation, actor=member.person)
        evaluation.refresh_from_db()
        if evaluation.leader_id is not None:
            return
        user.refresh_from_db()
        # Two vote for expert1 at once; the rest only once expert1 voted and no one was
        # elected (expert1 voted for someone else), so that expert1 still leads.
        voters = others if user.vote_id is not None else others[:FIRST_VOTES]
        for member in voters:
            if member.vote_id != user.pk:
                elected = evaluations.leader_vote(
                    evaluation=evaluation, actor=member.person, candidate=user
                )
                if elected is not None:
                    break

    def _others_sign(self, evaluation: Evaluation) -> None:
        key_dir = Path(settings.VAR_DIR) / "demo-keys"
        message = report_message(evaluation.report_sm3, agrees=True, dissent="")
        for member in other_members(evaluation):
            if member.signed_at is not None:
                continue
            key = sm2.load_private_key((key_dir / f"{member.person.username}.pem").read_bytes())
            evaluations.report_sign(
                evaluation=evaluation,
                actor=member.person,
                agrees=True,
                signature=key.sign(message),
            )

    # --- What to print -----------------------------------------------------------------------

    def _committee(self, evaluation: Evaluation) -> None:
        rows = []
        for member in evaluation.members.order_by("order").select_related("person"):
            leader = "（组长 leader）" if member.pk == evaluation.leader_id else ""
            rows.append(f"{member.person.username} {member.name}{leader}")
        self.stdout.write(f"评标委员会 / The committee: {', '.join(rows)}")

    def _stage(self, evaluation: Evaluation, zh: str, en: str) -> None:
        section = evaluation.section
        self.stdout.write(
            f"\n{section.code}：{zh} / {en}\n评标页面 / The evaluation page: "
            f"{base_url()}{reverse('experts:evaluation', args=[evaluation.pk])}"
        )

    def _scoring(self, evaluation: Evaluation) -> None:
        user = user_member(evaluation)
        due = beijing(evaluation.due_at, milliseconds=False)
        self._stage(evaluation, f"评分中，截止 {due}", f"scoring, due {due}")
        self._committee(evaluation)
        self.stdout.write(
            "其他四名成员已提交评分（评标价取唱标价）/ The other four members have submitted "
            "their scores (the evaluated price: the price read out)."
        )
        page = f"{base_url()}{reverse('experts:evaluation', args=[evaluation.pk])}"
        steps: list[tuple[str, str]] = [
            (
                f"以 expert1 登录并打开 {page}（密码 {DEMO_PASSWORD}），输入动态验证码：认证器应用中的，"
                f"或运行 {manage_command('demo_code', USER)} 得到的",
                f"Sign in as expert1 (password {DEMO_PASSWORD}) and open {page}; type the "
                f"second-factor code from your authenticator app or from "
                f"`{manage_command('demo_code', USER)}`",
            )
        ]
        if user.submitted_at is None:
            steps.append(
                (
                    "为三份投标逐一填写评标价（大于 0、不超过唱标价的两倍）并保存，点击“Submit my scores”提交",
                    "Enter each of the three bids' evaluated price (above 0, at most twice the "
                    "price read out), save each, then “Submit my scores”",
                )
            )
        if evaluation.leader_id is None:
            steps.append(
                (
                    f"推选组长：投票给 {user.name}（您自己；已有两名成员投票给您，您的一票即过半数）",
                    f"Elect the leader: vote for {user.name} (yourself; two members already "
                    "did, your vote makes three of five)",
                )
            )
        if evaluation.leader_id == user.pk or evaluation.leader_id is None:
            steps.append(
                (
                    "作为组长点击“Conclude”汇总并生成评标报告，然后再次运行 make demo-evaluation（其他成员签署）",
                    "As the leader, “Conclude”: the report is written; then run "
                    "`make demo-evaluation` again (the other members sign)",
                )
            )
        else:
            steps.append(
                (
                    "组长汇总后再次运行 make demo-evaluation",
                    "Once the leader has concluded, run `make demo-evaluation` again",
                )
            )
        self._next(steps)

    def _signing(self, evaluation: Evaluation) -> None:
        due = beijing(evaluation.signing_due, milliseconds=False) if evaluation.signing_due else ""
        self._stage(
            evaluation, f"评标报告待签署，截止 {due}", f"the report awaits signatures, due {due}"
        )
        self._committee(evaluation)
        key = Path(settings.VAR_DIR) / "demo-keys" / f"{USER}.pem"
        self.stdout.write(
            "其他四名成员已签署（同意）/ The other four members have signed (agreeing)."
        )
        self._next(
            [
                (
                    f"以 expert1 在评标页面签署报告：选择私钥文件 {key}（演示密钥无密码），点击“Sign the "
                    "report”；私钥不离开浏览器",
                    f"As expert1, sign the report on the evaluation page: choose the key file "
                    f"{key} (demo keys have no password), “Sign the report”; the key never "
                    "leaves the browser",
                ),
                (
                    "签署后评标结束，标段进入公示；再次运行 make demo-evaluation 可查看报告链接",
                    "Your signature finishes the evaluation and the section goes to publicity; "
                    "run `make demo-evaluation` again for the report's links",
                ),
            ]
        )

    def _finished(self, evaluation: Evaluation) -> None:
        section = Section.objects.get(pk=evaluation.section_id)
        status = SectionStatus(section.status)
        self._stage(evaluation, "评标已结束，报告已签署", "finished: the report is signed")
        self._committee(evaluation)
        report = f"{base_url()}{reverse('experts:report', args=[evaluation.pk])}"
        self.stdout.write(
            f"评标报告 / The report (SM3 {evaluation.report_sm3}):\n"
            f"  {report}?format=pdf\n  {report}?format=json\n  {report}?format=signatures\n"
            f"标段状态 / The section's status: {status.label} ({status.value})"
        )
        self._next(
            [
                (
                    "以 centre、regulator 或任一成员登录即可查看报告；如需重新体验开标与评标，运行 make demo-reset",
                    "Sign in as centre, regulator or a member to read the report; to try the "
                    "opening and the evaluation again, run `make demo-reset`",
                )
            ]
        )

    def _next(self, steps: list[tuple[str, str]]) -> None:
        self.stdout.write("下一步 / Next:")
        for number, (zh, en) in enumerate(steps, start=1):
            self.stdout.write(f"  {number}. {zh}\n     {en}")
        self.stdout.write("")


def demo_usernames() -> set[str]:
    return {username for username, _name in EXPERTS}


def user_member(evaluation: Evaluation) -> Member:
    return evaluation.members.select_related("person").get(person__username=USER)


def other_members(evaluation: Evaluation) -> list[Member]:
    return list(
        evaluation.members.exclude(person__username=USER).select_related("person").order_by("order")
    )


def made_elsewhere(section: Section) -> str:
    return (
        f"标段 {section.code} 的专家抽取或评标已在页面上另行发起（有招标人代表，或 expert1 不在其中），"
        "本命令不能代为进行；请在页面上继续，或运行 make demo-reset 重新开始 / The draw or the "
        f"evaluation of {section.code} was started on the pages (with a representative, or "
        "without expert1): this command cannot play it. Go on there, or run `make demo-reset` to "
        "start again."
    )
