"""Demo data for `make demo`: idempotent, so running it twice changes nothing.

It spans the apps (organisations, keys, a published section), so it lives with the project.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import second_factor, services
from accounts.credit_code import with_check_character
from accounts.models import Organisation, OrganisationKind, Person, Role
from bidding import services as bidding_services
from config.management.commands import demo_ceremony, demo_deposits, demo_supervision
from experts import library, library_format
from experts.evaluation import expert_key_bind
from experts.models import Expert, Specialty
from ggzy import clock, files
from ggzy_core.gm import envelope, sm2
from ggzy_core.gm.sm3 import sm3
from ggzy_core.times import BEIJING
from realtime.models import Hall, HallStage
from supervision import ledger
from supervision.models import LedgerEntry
from trading import chronograph, documents
from trading import services as trading_services
from trading.models import Category, EvaluationMethod, OpeningKeyMode, Project, Section

DEMO_PASSWORD = "ggzy-demo-2026"  # noqa: S105  # nosec B105 # printed to the demo user on purpose

ORGANISATIONS = [
    # username, organisation name, credit-code prefix (17 chars), kind, legal representative
    ("centre", "示范市公共资源交易中心", "12320100MB0000001", OrganisationKind.CENTRE, "周中心"),
    (
        "regulator",
        "示范市住房和城乡建设局",
        "11320100MB0000002",
        OrganisationKind.REGULATOR,
        "吴监督",
    ),
    (
        "tenderee",
        "示范市城市建设投资有限公司",
        "91320100MA1X00013",
        OrganisationKind.TENDEREE,
        "郑招标",
    ),
    ("bidder1", "江南建工集团有限公司", "91320100MA1Y00011", OrganisationKind.BIDDER, "王一"),
    ("bidder2", "长江路桥工程有限公司", "91320100MA1Y00022", OrganisationKind.BIDDER, "李二"),
    # 李二 heads both (demo_supervision: one legal representative, an alert [R34]).
    ("bidder3", "金陵市政建设有限公司", "91320100MA1Y00033", OrganisationKind.BIDDER, "李二"),
]
# The demo expert library: (username, name, specialty, title, employer, its credit-code
# prefix (17 chars), years in practice). Exactly five are of DEMO_SPECIALTY (road and
# bridge works: the demo sections are a road's), so the demo evaluation's draw of five over it
# seats all five, expert1 among them; expert6 and expert7 are of other specialties.
DEMO_SPECIALTY = "A0201"
DEMO_LIBRARY = [
    ("expert1", "陈专家", "A0201", "正高级工程师", "东南大学交通学院", "12100000466006771", 18),
    ("expert2", "林专家", "A0201", "高级工程师", "江苏省交通规划设计院", "12320000MB1E00102", 15),
    ("expert3", "黄专家", "A0201", "高级工程师", "南京市市政设计研究院", "12320100MB1E00103", 12),
    ("expert4", "赵专家", "A0201", "正高级工程师", "河海大学土木学院", "12100000466007042", 20),
    ("expert5", "孙专家", "A0201", "高级工程师", "江苏省交通工程质量中心", "12320000MB1E00105", 10),
    ("expert6", "徐专家", "A0101", "高级工程师", "南京建筑设计研究院", "12320100MB1E00106", 16),
    ("expert7", "马专家", "A0801", "高级工程师", "江苏省水利勘测设计院", "12320000MB1E00107", 14),
]
EXPERTS = [(username, name) for username, name, *_ in DEMO_LIBRARY]
# The demo experts' authenticator secrets are fixed (so `make demo-reset` keeps what was put
# into an app) and derived from their usernames: anyone can recompute them, which is right
# for a local demo and nothing else (`demo_code` prints the codes).
DEMO_TOTP_SALT = "ggzy-demo-2026-totp"
DEMO_PROJECT = "GGZY-DEMO-2026-001"
DEMO_OPENING_MINUTES = 5  # the demo opening's deadline, from the first `make demo`


def demo_totp_key(username: str) -> str:
    """The demo expert's TOTP secret, hex: 20 bytes (160 bits, 32 base32 characters) of
    SM3(salt:username)."""
    return sm3(f"{DEMO_TOTP_SALT}:{username}".encode()).hex()[:40]


def demo_expert_number(username: str) -> str:
    return f"DEMO-{username.upper()}"


def manage_command(*words: str) -> str:
    """How to run a demo management command from the checkout, as `make demo` runs them."""
    default = Path(settings.BASE_DIR) / "var"
    prefix = "DEBUG=true "
    if Path(settings.VAR_DIR) != default.resolve():
        prefix += f"GGZY_VAR_DIR={settings.VAR_DIR} "
    return f"{prefix}.venv/bin/python manage.py {' '.join(words)}"


def demo_sheet(index: int) -> dict[str, object]:
    """The demo bidder's value for every item a section may read out (ggzy_core's list)."""
    return {
        "price": f"{28_600_000 + index * 137_500}.00",
        "duration_days": 360 + index * 30,
        "quality": "合格",
        "project_manager": ["王建国", "李卫东", "张海涛"][index],
        "warranty": "2年",
    }


class Command(BaseCommand):
    help = "Create the demo organisations, people and bidder keys (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-logins",
            action="store_true",
            help="create nothing; print the logins, the keys and the demo opening's state",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo data is for DEBUG (demo) installations only / 仅用于演示环境")
        key_dir = Path(settings.VAR_DIR) / "demo-keys"
        if options["print_logins"]:
            self._print_logins(key_dir)
            self._print_sections()
            return
        # The logins and the demo opening's state are printed once, by scripts/run-demo
        # next to the URL (--print-logins): here only what was done and where.
        created = not Person.objects.filter(username="admin").exists()
        entries = LedgerEntry.objects.count()  # everything made is ledgered
        # All or nothing, files included (the documents service writes through it).
        with files.atomic():
            self._create(key_dir)
        if created:
            state = "created"
        elif LedgerEntry.objects.count() != entries:
            state = "already present; what was missing was added"
        else:
            state = "already present, unchanged"
        self.stdout.write(
            f"演示数据 / demo data: {state} (files in {settings.VAR_DIR}); "
            "logins: manage.py demo_data --print-logins"
        )

    def _create(self, key_dir: Path) -> None:
        key_dir.mkdir(parents=True, exist_ok=True)
        # The platform administrator sets up the centre and the regulator.
        admin = Person.objects.filter(username="admin").first() or (
            Person.objects.create_superuser("admin", "", DEMO_PASSWORD, display_name="平台管理员")
        )
        for username, name, prefix, kind, representative in ORGANISATIONS:
            if Person.objects.filter(username=username).exists():
                continue
            person = services.organisation_register(
                name=name,
                credit_code=with_check_character(prefix),
                kind=kind,
                legal_representative=representative,
                legal_representative_id_number=demo_supervision.REPRESENTATIVE_IDS.get(
                    username, ""
                ),
                admin_username=username,
                admin_password=DEMO_PASSWORD,
                admin_display_name=f"{representative}（{name[:4]}）",
                actor=admin,
            )
            # Bidders sign bids; the centre, regulator and tenderee hold opening-key shares.
            assert person.organisation is not None  # nosec B101 # narrows the type for mypy
            self._bind_demo_key(person, person.organisation, key_dir / f"{username}.pem")
        self._publish_demo_section()
        first = Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk").first()
        if first is not None:
            demo_supervision.complain_about_the_documents(first)
        self._demo_library(key_dir)

    def _demo_library(self, key_dir: Path) -> None:
        """The specialty list, the seven demo experts in the library (imported as a centre
        would), each with a sign-in account, a confirmed authenticator and a signing key.
        Each part is made only when missing."""
        if not Specialty.objects.filter(code=DEMO_SPECIALTY).exists():
            call_command("load_specialties", stdout=io.StringIO())
        missing = [
            row
            for row in DEMO_LIBRARY
            if not Expert.objects.filter(number=demo_expert_number(row[0])).exists()
        ]
        if missing:
            self._import_experts(missing)
        for username, name, *_ in DEMO_LIBRARY:
            person = Person.objects.filter(username=username).first()
            if person is None:
                person = Person(username=username, display_name=name, role=Role.EXPERT)
                person.set_password(DEMO_PASSWORD)
                person.save()
            expert = Expert.objects.get(number=demo_expert_number(username))
            if expert.person_id is None:
                expert.person = person
                expert.save(update_fields=["person"])
                person.refresh_from_db()  # person.expert, for the key binding below
            if second_factor.confirmed_device(person) is None:
                second_factor.enrol_confirmed(person, key_hex=demo_totp_key(username))
            path = key_dir / f"{username}.pem"
            if not expert.public_key_pem or not path.exists():
                key = write_demo_key(path)
                expert_key_bind(person=person, public_key_pem=key.public_key().to_pem().decode())

    def _import_experts(self, rows: list[tuple[str, str, str, str, str, str, int]]) -> None:
        this_year = clock.now().astimezone(BEIJING).year
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo-experts.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(library_format.COLUMNS)
                for username, name, specialty, title, employer, prefix, years in rows:
                    writer.writerow(
                        [
                            demo_expert_number(username),
                            name,
                            f"138000000{int(username.removeprefix('expert')):02d}",
                            "320100",
                            employer,
                            with_check_character(prefix),
                            title,
                            this_year - years,
                            specialty,
                        ]
                    )
            imported = library.import_file(path, actor=Person.objects.get(username="centre"))
        if imported.errors:
            raise CommandError(f"demo experts refused: {imported.errors}")

    def _publish_demo_section(self) -> None:
        if Project.objects.filter(code=DEMO_PROJECT).exists():
            return
        tenderee = Person.objects.get(username="tenderee")
        project = trading_services.project_create(
            actor=tenderee,
            code=DEMO_PROJECT,
            name="示范市滨江路改造工程",
            centre=Organisation.objects.get(people__username="centre"),
            regulator=Organisation.objects.get(people__username="regulator"),
        )
        now = clock.now()
        section = trading_services.section_create(
            project=project,
            actor=tenderee,
            name="施工一标段",
            category=Category.WORKS,
            estimated_price=Decimal("50000000.00"),
            price_ceiling=Decimal("48000000.00"),
            bid_deposit=Decimal("800000.00"),
            bid_validity_days=90,
            documents_from=now,
            bid_deadline=(now + dt.timedelta(days=21)).replace(
                hour=1, minute=30, second=0, microsecond=0
            ),
            decryption_window_minutes=30,
            evaluation_method=EvaluationMethod.COMPREHENSIVE,
            evaluation_criteria="技术部分40分，商务部分20分，投标报价40分",
            opening_key_mode=OpeningKeyMode.DKG,
        )
        text = "示范市滨江路改造工程 施工一标段 招标文件（演示）\n".encode()
        documents.document_issue(
            section=section,
            actor=tenderee,
            title="招标文件",
            upload=SimpleUploadedFile("招标文件.txt", text, content_type="text/plain"),
        )
        # Its key generated by the three demo holders with their demo keys: nobody dealt it.
        demo_ceremony.complete(section)
        trading_services.section_publish(section=section, actor=tenderee)
        self._demo_opening(project, tenderee)

    def _demo_opening(self, project: Project, tenderee: Person) -> None:
        """A second section that opens a few minutes after the demo starts, with three real
        sealed bids: so the hall can be tried at once. Its timetable is shifted in the
        database after a lawful publication — demo data only."""
        now = clock.now()
        section = trading_services.section_create(
            project=project,
            actor=tenderee,
            name="施工二标段（开标演示）",
            category=Category.WORKS,
            estimated_price=Decimal("30000000.00"),
            price_ceiling=Decimal("29000000.00"),
            bid_deposit=Decimal("600000.00"),
            documents_from=now,
            bid_deadline=now + dt.timedelta(days=21),
            decryption_window_minutes=30,
            evaluation_method=EvaluationMethod.LOWEST_PRICE,
            # The dealt fallback: the opening demo shows a rescue with a dealt key too.
            opening_key_mode=OpeningKeyMode.DEALT,
        )
        documents.document_issue(
            section=section,
            actor=tenderee,
            title="招标文件",
            upload=SimpleUploadedFile(
                "招标文件.txt", "二标段招标文件（演示）".encode(), content_type="text/plain"
            ),
        )
        trading_services.section_publish(section=section, actor=tenderee)
        opening = (now + dt.timedelta(minutes=DEMO_OPENING_MINUTES)).replace(microsecond=0)
        Section.objects.filter(pk=section.pk).update(
            documents_from=now - dt.timedelta(days=22), bid_deadline=opening
        )
        ledger.seal(section.embargo_scope, until=opening)  # the bids' embargo moves with it
        chronograph.apply_time_events(section.pk)
        section.refresh_from_db()
        bids_dir = Path(settings.VAR_DIR) / "demo-bids"
        bids_dir.mkdir(parents=True, exist_ok=True)
        opening_key = sm2.load_public_key(section.opening_key_pem.encode())
        for index, username in enumerate(["bidder1", "bidder2", "bidder3"]):
            person = Person.objects.get(username=username)
            assert person.organisation is not None  # nosec B101 # narrows the type for mypy
            key = sm2.load_private_key(
                (Path(settings.VAR_DIR) / "demo-keys" / f"{username}.pem").read_bytes()
            )
            proposal = bids_dir / f"{username}-技术标.txt"
            proposal.write_text(
                f"{person.organisation.name} 技术标与商务标（演示）\n", encoding="utf-8"
            )
            sealed = io.BytesIO()
            envelope.seal(
                out=sealed,
                files=[proposal],
                # What the section reads out (its read_items, from ggzy_core's one list).
                sheet={name: demo_sheet(index)[name] for name in section.read_items},
                section_id=section.pk,
                section_code=section.code,
                bidder_credit_code=person.organisation.credit_code,
                signing_key=key,
                recipients=[envelope.Recipient(envelope.OPENING_ROLE, opening_key)],
            )
            data = sealed.getvalue()
            (bids_dir / f"{username}.gbid").write_bytes(data)
            upload, _new = bidding_services.upload_create(
                section=section,
                person=person,
                length=len(data),
                idempotency_key=f"demo-{username}-bid",
            )
            bidding_services.upload_append(
                upload=upload, person=person, offset=0, stream=io.BytesIO(data)
            )
        # Three deposit states for the hall: paid (scripts/run-demo pays through the bank
        # simulator), an electronic guarantee, none.
        demo_deposits.prepare(section, Path(settings.VAR_DIR) / "demo-keys")

    def _bind_demo_key(self, person: Person, organisation: Organisation, path: Path) -> None:
        key = write_demo_key(path)
        services.key_bind(
            organisation=organisation, actor=person, key_data=key.public_key().to_pem()
        )

    def _print_logins(self, key_dir: Path) -> None:
        self.stdout.write(f"\n  Demo logins (password for all: {DEMO_PASSWORD})\n")
        rows = (
            [(u, n) for u, n, *_ in ORGANISATIONS] + EXPERTS + [("admin", "平台管理员 superuser")]
        )
        experts = {username for username, _name in EXPERTS}
        for username, name in rows:
            key = key_dir / f"{username}.pem"
            suffix = f"   SM2 key: {key}" if key.exists() else ""
            self.stdout.write(f"    {username:<10} {name}{suffix}")
            person = Person.objects.filter(username=username).first()
            device = (
                second_factor.confirmed_device(person) if username in experts and person else None
            )
            if device is not None:
                secret = second_factor.secret_base32(device)
                self.stdout.write(
                    f"    {'':<10} TOTP secret (base32, for an authenticator app): {secret}"
                )
        if any(key_dir.glob("*.pem")):
            self.stdout.write("  (demo keys have no password / 演示密钥未设密码)")
        self.stdout.write(
            "  专家登录须输入动态验证码：把上面的 TOTP 密钥加入认证器应用，或运行"
            f" {manage_command('demo_code', 'expert1')} 显示当前验证码 / Experts pass a second"
            " factor at sign-in: add their TOTP secret above to an authenticator app, or run"
            f" `{manage_command('demo_code', 'expert1')}` for the current code."
        )

    def _print_sections(self) -> None:
        sections = list(Section.objects.filter(project__code=DEMO_PROJECT).order_by("pk"))
        if sections:
            self.stdout.write(
                f"\n  A published section: {sections[0].code} (bidders: ggzy-bid seal … then upload)"
            )
        if len(sections) > 1:
            self.stdout.write("  " + demo_opening_state(sections[1], Path(settings.VAR_DIR)))
        self.stdout.write("")


def write_demo_key(path: Path) -> sm2.SM2PrivateKey:
    """A new SM2 key, written unprotected (demo only) to ``path``, readable by its owner only."""
    key = sm2.generate_private_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.to_pem())
    return key


def demo_opening_state(opening: Section, var_dir: Path) -> str:
    """One line on the demo opening: still to come, under way, or over (and how to reset)."""
    zone = timezone.get_current_timezone()
    at = f"{opening.bid_deadline.astimezone(zone):%Y-%m-%d %H:%M} ({zone})"
    hall = Hall.objects.filter(section=opening).first()
    if hall is not None and hall.stage in (HallStage.CLOSED, HallStage.FAILED):
        return (
            f"演示开标已于 {at} 开始并已结束；如需重新体验请运行 make demo-reset（删除演示数据后重建）"
            f" / The demo opening {opening.code} (opened {at}) is over, hall {hall.stage}: to try"
            " it again run `make demo-reset` (deletes the demo data and creates it anew)."
            + (
                "\n  评标演示：运行 make demo-evaluation（您扮演 expert1）/ The demo evaluation:"
                " `make demo-evaluation` says where it is and what to do next (you play expert1)."
                if hall.stage == HallStage.CLOSED
                else ""
            )
        )
    if opening.bid_deadline <= clock.now():
        stage = hall.stage if hall is not None else "waiting"
        return (
            f"演示开标已于 {at} 开始，进行中 / The demo opening {opening.code} opened at {at} and"
            f" is under way (hall: {stage}): host it as 'centre' at /halls/{opening.code}/."
        )
    return (
        f"An opening to try: {opening.code} opens at {at}. Host it as 'centre' at"
        f" /halls/{opening.code}/; bidders unlock with {var_dir / 'demo-bids'}/<user>.gbid and"
        f" their key in {var_dir / 'demo-keys'}/"
    )
