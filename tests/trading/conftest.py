"""A tenderee with a project whose three key holders (centre, regulator, tenderee) have
bound SM2 keys, and a draft section ready to publish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, OrganisationKind, Person, Role
from ggzy import clock
from ggzy_core.gm import sm2
from tests.factories import OrganisationFactory, OrganisationKeyFactory, PersonFactory
from trading import chronograph, documents, services
from trading.models import (
    Category,
    EvaluationMethod,
    OpeningKeyMode,
    Project,
    Section,
    SectionStatus,
)


@dataclass
class Holders:
    centre: Organisation
    regulator: Organisation
    tenderee: Organisation
    keys: dict[str, sm2.SM2PrivateKey]  # organisation credit code → private key


def bind_new_key(organisation: Organisation) -> sm2.SM2PrivateKey:
    private = sm2.generate_private_key()
    public = private.public_key()
    OrganisationKeyFactory.create(
        organisation=organisation,
        public_key_pem=public.to_pem().decode(),
        fingerprint=public.fingerprint(),
    )
    return private


@pytest.fixture
def holders(db: None) -> Holders:
    centre = OrganisationFactory.create(kind=OrganisationKind.CENTRE, name="示范市公共资源交易中心")
    regulator = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, name="示范市住建局")
    tenderee = OrganisationFactory.create(kind=OrganisationKind.TENDEREE, name="示范市城投公司")
    keys = {org.credit_code: bind_new_key(org) for org in (centre, regulator, tenderee)}
    return Holders(centre=centre, regulator=regulator, tenderee=tenderee, keys=keys)


@pytest.fixture
def tenderee(holders: Holders) -> Person:
    return PersonFactory.create(
        username="tenderee",
        organisation=holders.tenderee,
        role=Role.TENDEREE,
        is_organisation_admin=True,
    )


@pytest.fixture
def project(tenderee: Person, holders: Holders) -> Project:
    return services.project_create(
        actor=tenderee,
        code="GGZY-2026-001",
        name="示范市滨江路改造工程",
        centre=holders.centre,
        regulator=holders.regulator,
    )


def section_fields(**overrides: object) -> dict[str, object]:
    now = clock.now()
    fields: dict[str, object] = {
        "name": "施工一标段",
        "category": Category.WORKS,
        "estimated_price": Decimal("50000000.00"),
        "price_ceiling": Decimal("48000000.00"),
        "bid_deposit": Decimal("800000.00"),
        "bid_validity_days": 90,
        "documents_from": now + dt.timedelta(hours=1),
        "bid_deadline": now + dt.timedelta(days=21, hours=1),
        "decryption_window_minutes": 30,
        "evaluation_method": EvaluationMethod.COMPREHENSIVE,
        "evaluation_criteria": "技术40分，商务20分，价格40分",
        # The platform deals the key at publication (the fallback): tests of everything but
        # the ceremony publish at once (tests/trading/test_ceremony*.py run the ceremony).
        "opening_key_mode": OpeningKeyMode.DEALT,
    }
    fields.update(overrides)
    return fields


def upload(
    name: str = "招标文件.pdf", content: bytes = b"%PDF-1.7 tender documents"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def draft(project: Project, tenderee: Person) -> Section:
    section = services.section_create(project=project, actor=tenderee, **section_fields())
    documents.document_issue(section=section, actor=tenderee, title="招标文件", upload=upload())
    return section


@pytest.fixture
def published(draft: Section, tenderee: Person) -> Section:
    return services.section_publish(section=draft, actor=tenderee)


@pytest.fixture
def bidding(published: Section) -> Section:
    """Published and taking bids: the chronograph has run at the documents' issue time."""
    with time_machine.travel(published.documents_from, tick=False):
        chronograph.apply_time_events(published.pk)
    published.refresh_from_db()
    assert published.status == SectionStatus.BIDDING
    return published
