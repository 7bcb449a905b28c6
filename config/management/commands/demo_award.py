"""`make demo-award` (`manage.py demo_award`): the rest of the demo tender, one step a run.

After `make demo-evaluation` has finished the evaluation, the demo section is publicized
(five minutes in a demo, `PUBLICITY_SECONDS`; three days anywhere else [R54]). Each run does
the next step the demo users have not done on the pages and says what comes next, in Chinese
and English:

1. during publicity: bidder2 objects to the result [R54]; the next run answers it as the
   tenderee (not upheld) unless the tenderee already did on the page;
2. once publicity is over and every objection answered: the tenderee awards the first
   candidate; the award notice and the result notices are issued [L45];
3. the contract, on the winning bid's terms, with a contract PDF [L46]: the section is
   contracted and the deposits are owed back with interest [R57];
4. the centre seals the archive now (instead of waiting `ARCHIVE_AFTER_SECONDS`); the
   regulator downloads it and anyone checks it with `verify_archive`.

Running it again changes nothing that is already done.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.models import Person
from award import objections, services
from award.models import Award, AwardStatus, OutcomeOfObjection, Publicity, ResultObjection
from config.management.commands.demo_data import DEMO_PASSWORD, DEMO_PROJECT, manage_command
from config.management.commands.demo_evaluation import base_url
from ggzy import clock
from ggzy.errors import DomainError
from ggzy.pdf_fonts import cjk_font
from ggzy_core.times import beijing
from supervision.archive import services as archives
from supervision.archive.models import Archive
from trading.models import Section, SectionStatus

OBJECTOR = "bidder2"
OBJECTION = (
    "第一中标候选人的项目经理是否满足招标文件的资格要求，请核实 / Please check that the first "
    "candidate's project manager meets the tender's qualification requirements"
)
ANSWER = (
    "经核实，第一中标候选人项目经理具备一级建造师资格且无在建项目，异议不成立 / Checked: the "
    "project manager holds a first-class constructor licence and has no other project on "
    "site; the objection is not upheld"
)


class Command(BaseCommand):
    help = (
        "After the demo evaluation: an objection to the result and its answer, the award, the "
        "contract and the archive, one step a run (demo only; run it again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_award 仅用于演示环境（DEBUG）/ demo_award is for DEBUG (demo) installations only"
            )
        section = Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk")[1:2].first()
        if section is None:
            raise CommandError(
                "没有演示数据：请先运行 make demo / No demo data: run `make demo` first"
            )
        try:
            self._step(section)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _step(self, section: Section) -> None:
        status = SectionStatus(section.status)
        if status == SectionStatus.PUBLICITY:
            self._publicity(section)
        elif status == SectionStatus.AWARDED:
            self._contract(section)
        elif status == SectionStatus.CONTRACTED:
            self._seal(section)
        elif status == SectionStatus.ARCHIVED:
            self._archived(section)
        else:
            raise CommandError(
                f"演示标段 {section.code} 处于“{status.label}”状态，尚未进入公示：请先完成开标和评标"
                f"（make demo-evaluation 会说明下一步）/ The demo section {section.code} is "
                f"{status.value}, not yet publicized: finish the opening and the evaluation first "
                "(`make demo-evaluation` says what to do next)."
            )

    # --- Publicity and objections [R54] ------------------------------------------------------

    def _publicity(self, section: Section) -> None:
        publicity = Publicity.objects.get(section=section)
        tenderee = Person.objects.get(username="tenderee")
        page = f"{base_url()}{reverse('award:result', args=[section.code])}"
        objection = ResultObjection.objects.filter(section=section).first()
        now = clock.now()
        if objection is None and now < publicity.ends_at:
            objection = objections.objection_raise(
                section=section, actor=Person.objects.get(username=OBJECTOR), text=OBJECTION
            )
            self.stdout.write(
                f"{OBJECTOR} 已对评标结果提出异议；答复前不得定标 [R54] / {OBJECTOR} objected to "
                "the result; no award until it is answered [R54]."
            )
            self._next(
                [
                    (
                        f"以 tenderee 登录（密码 {DEMO_PASSWORD}），在 {page} 答复异议；或再次运行 "
                        "make demo-award 由本命令代为答复（异议不成立）",
                        f"Sign in as tenderee (password {DEMO_PASSWORD}) and answer it at "
                        f"{page}, or run `make demo-award` again to answer it (not upheld)",
                    )
                ]
            )
            return
        if objection is not None and objection.answered_at is None:
            objections.objection_answer(
                objection=objection,
                actor=tenderee,
                answer=ANSWER,
                outcome=OutcomeOfObjection.DISMISSED,
            )
            self.stdout.write(
                "招标人已答复异议（不成立），答复已通知异议人 / The tenderee answered the objection "
                "(not upheld); the objector has been told."
            )
        if now < publicity.ends_at:
            ends = beijing(publicity.ends_at, milliseconds=False)
            self.stdout.write(f"公示期至 {ends} / Publicized until {ends}: {page}")
            self._next(
                [
                    (
                        f"公示期满（{ends}）后再次运行 make demo-award：招标人确定中标人并发出中标通知书",
                        f"After {ends}, run `make demo-award` again: the tenderee awards the "
                        "first candidate and the notices go out",
                    )
                ]
            )
            return
        award = services.award_issue(section=section, actor=tenderee)
        self._awarded(section, award)

    def _awarded(self, section: Section, award: Award) -> None:
        self.stdout.write(
            f"已发出中标通知书：{award.organisation.name}，中标价 {award.price} 元；其他投标人已收到"
            f"中标结果通知书 [L45] / Awarded to {award.organisation.name} at {award.price} "
            "yuan; the other bidders have their result notices [L45]."
        )
        notices = f"{base_url()}{reverse('award:notices')}"
        self._next(
            [
                (
                    f"以 bidder1、bidder2 或 bidder3 登录，在 {notices} 查看并下载各自的通知书（JSON 与签名）",
                    f"Sign in as bidder1, bidder2 or bidder3 and read your notice at {notices} "
                    "(JSON and signature to download)",
                ),
                (
                    "再次运行 make demo-award：按中标人投标文件的条款签订并备案合同（或由 tenderee 在定标"
                    "页面上传合同）",
                    "Run `make demo-award` again: the contract on the winning bid's terms is "
                    "recorded (or record it yourself as tenderee on the award page)",
                ),
            ]
        )

    # --- The contract [L46] -------------------------------------------------------------------

    def _contract(self, section: Section) -> None:
        award = Award.objects.get(section=section, status=AwardStatus.NOTIFIED)
        number = f"HT-{section.code}"
        terms = {key: value for key, value in award.terms.items() if key != "price"}
        services.contract_record(
            award=award,
            actor=Person.objects.get(username="tenderee"),
            number=number,
            signed_on=clock.now().date(),
            price=award.price,
            terms=terms,
            document=contract_pdf(section, award, number),
            document_name=f"{number}.pdf",
        )
        deposits = f"{base_url()}{reverse('deposits:staff_section', args=[section.code])}"
        self.stdout.write(
            f"合同 {number} 已备案，标段已签约；保证金及利息应在 5 日内退还 [R57] / Contract {number} "
            "recorded: the section is contracted and the deposits are owed back with interest "
            "within 5 days [R57]."
        )
        self._next(
            [
                (
                    f"以 centre 登录，在 {deposits} 查看退款；以任一投标人登录，在 /deposits/ 查看自己的",
                    f"Sign in as centre to watch the refunds at {deposits}; each bidder sees its "
                    "own under /deposits/",
                ),
                (
                    "再次运行 make demo-award：交易中心立即封存电子档案（否则在结束后 "
                    f"{settings.ARCHIVE_AFTER} 自动封存）",
                    "Run `make demo-award` again: the centre seals the archive now (otherwise it "
                    f"is sealed {settings.ARCHIVE_AFTER} after the section closed)",
                ),
            ]
        )

    # --- The archive [E40] ----------------------------------------------------------------------

    def _seal(self, section: Section) -> None:
        archives.archive_seal(section=section, actor=Person.objects.get(username="centre"))
        self.stdout.write(
            "已请求封存电子档案：后台任务生成档案包并签名，完成后标段状态变为“已归档” / The archive "
            "is being sealed: a background task builds and signs the package, then the section "
            "is archived."
        )
        self._next(
            [
                (
                    "稍候再次运行 make demo-award，查看档案的下载地址和离线验证命令",
                    "Run `make demo-award` again in a moment for the archive's download and the "
                    "offline check",
                )
            ]
        )

    def _archived(self, section: Section) -> None:
        archive = Archive.objects.get(section=section)
        listing = f"{base_url()}{reverse('archive:list')}"
        target = Path(settings.VAR_DIR) / f"archive-{section.code}.zip"
        self.stdout.write(
            f"电子档案已封存：SM3 {archive.sm3}，{archive.size} 字节 / The archive is sealed: SM3 "
            f"{archive.sm3}, {archive.size} bytes."
        )
        self._next(
            [
                (
                    f"以 regulator 或 centre 登录，在 {listing} 下载档案（保存为 {target}）",
                    f"Sign in as regulator or centre and download it from {listing} (save it as "
                    f"{target})",
                ),
                (
                    f"离线验证（无需数据库）：{manage_command('verify_archive', str(target))}；"
                    "用 openssl 的同样验证见 docs/archive.md",
                    f"Check it offline (no database needed): "
                    f"`{manage_command('verify_archive', str(target))}`; the same proof with "
                    "plain openssl is in docs/archive.md",
                ),
            ]
        )

    def _next(self, steps: list[tuple[str, str]]) -> None:
        self.stdout.write("下一步 / Next:")
        for number, (zh, en) in enumerate(steps, start=1):
            self.stdout.write(f"  {number}. {zh}\n     {en}")
        self.stdout.write("")


def contract_pdf(section: Section, award: Award, number: str) -> bytes:
    """A one-page demo contract on the award's terms (a real one is signed outside)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = cjk_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setFont(font, 16)
    page.drawString(72, 770, f"施工合同（演示） {number}")
    page.setFont(font, 11)
    lines = [
        f"发包人：{section.project.tenderee.name}",
        f"承包人：{award.organisation.name}",
        f"工程：{section.project.name} · {section.name}（{section.code}）",
        f"合同价：{award.price} 元",
        *(f"{key}：{value}" for key, value in sorted(award.terms.items()) if key != "price"),
    ]
    for row, line in enumerate(lines):
        page.drawString(72, 730 - row * 20, line)
    page.showPage()
    page.save()
    return buffer.getvalue()
