"""Demo data for `make demo`: idempotent, so running it twice changes nothing.

It spans the apps (organisations, keys, a published section), so it lives with the project.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts import services
from accounts.credit_code import with_check_character
from accounts.models import Organisation, OrganisationKind, Person, Role
from ggzy import clock
from ggzy.gm import sm2
from trading import documents
from trading import services as trading_services
from trading.models import Category, EvaluationMethod, Project

DEMO_PASSWORD = "ggzy-demo-2026"  # noqa: S105  (printed to the demo user on purpose)

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
    ("bidder3", "金陵市政建设有限公司", "91320100MA1Y00033", OrganisationKind.BIDDER, "张三"),
]
EXPERTS = [("expert1", "陈专家"), ("expert2", "林专家")]
DEMO_PROJECT = "GGZY-DEMO-2026-001"


class Command(BaseCommand):
    help = "Create the demo organisations, people and bidder keys (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-logins", action="store_true", help="only print the logins table"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo data is for DEBUG (demo) installations only / 仅用于演示环境")
        key_dir = Path(settings.VAR_DIR) / "demo-keys"
        if not options["print_logins"]:
            with transaction.atomic():
                self._create(key_dir)
        self._print_logins(key_dir)

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
                admin_username=username,
                admin_password=DEMO_PASSWORD,
                admin_display_name=f"{representative}（{name[:4]}）",
                actor=admin,
            )
            # Bidders sign bids; the centre, regulator and tenderee hold opening-key shares.
            assert person.organisation is not None
            self._bind_demo_key(person, person.organisation, key_dir / f"{username}.pem")
        self._publish_demo_section()
        for username, name in EXPERTS:
            if not Person.objects.filter(username=username).exists():
                expert = Person(username=username, display_name=name, role=Role.EXPERT)
                expert.set_password(DEMO_PASSWORD)
                expert.save()

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
        )
        text = "示范市滨江路改造工程 施工一标段 招标文件（演示）\n".encode()
        documents.document_issue(
            section=section,
            actor=tenderee,
            title="招标文件",
            upload=SimpleUploadedFile("招标文件.txt", text, content_type="text/plain"),
        )
        trading_services.section_publish(section=section, actor=tenderee)

    def _bind_demo_key(self, person: Person, organisation: Organisation, path: Path) -> None:
        key = sm2.generate_private_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.to_pem())
        services.key_bind(
            organisation=organisation, actor=person, key_data=key.public_key().to_pem()
        )

    def _print_logins(self, key_dir: Path) -> None:
        self.stdout.write(f"\n  Demo logins (password for all: {DEMO_PASSWORD})\n")
        rows = (
            [(u, n) for u, n, *_ in ORGANISATIONS] + EXPERTS + [("admin", "平台管理员 superuser")]
        )
        for username, name in rows:
            key = key_dir / f"{username}.pem"
            suffix = f"   SM2 key: {key}" if key.exists() else ""
            self.stdout.write(f"    {username:<10} {name}{suffix}")
        section = (
            Project.objects.filter(code=DEMO_PROJECT)
            .values_list("sections__code", flat=True)
            .first()
        )
        if section:
            self.stdout.write(
                f"\n  A published section: {section} (bidders: ggzy-bid seal … then upload)"
            )
        self.stdout.write("")
