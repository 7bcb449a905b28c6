"""The whole way: a section opened in the hall with three real bids, evaluated, publicized,
awarded and contracted ends with a downloadable archive holding every signed document."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from award.models import Contract
from supervision.archive.models import Archive
from tests.award.world import AwardWorld, to_award, to_contract, to_publicity
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.supervision.archive.conftest import files_of, verified
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def contracted(opening: Opening) -> Iterator[AwardWorld]:  # noqa: F811
    world = to_publicity(opening)
    to_award(world)
    to_contract(world)
    yield world
    world.stop()


def test_a_contracted_section_ends_with_a_downloadable_archive_of_every_signed_document(
    contracted: AwardWorld,
) -> None:
    current = contracted.section
    assert current.status == SectionStatus.CONTRACTED
    contract = Contract.objects.get(award__section=current)
    contracted.travel(contract.recorded_at + settings.ARCHIVE_AFTER + dt.timedelta(seconds=1))
    chronograph.apply_time_events(current.pk)  # eager Celery, real commits: sealed now
    current.refresh_from_db()
    assert current.status == SectionStatus.ARCHIVED
    archive = Archive.objects.get(section=current)
    assert archive.closed_as == SectionStatus.CONTRACTED

    regulator = PersonFactory.create(
        username="regulator", organisation=current.project.regulator, role=Role.REGULATOR
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(regulator)
    response = client.get(f"/supervision/archives/{current.code}/download/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    verdict = verified(data)
    files = files_of(data)
    for name in (
        "opening/opening-record.json",
        "opening/opening-record.json.sig",
        "evaluation/report.json",
        "evaluation/signatures.json",
        "award/publicity.json.sig",
        "award/award-1.json.sig",
        "award/contract.json.sig",
        "award/contract-file.pdf",
    ):
        assert name in files, name
    results = [n for n in files if "-result-" in n and n.endswith(".json")]
    assert len(results) == 2
    receipts = [n for n in files if n.startswith("receipts/") and n.endswith(".json")]
    assert len(receipts) == 3
    # Every signed document is the platform's; every one the ledger recorded matches it:
    # tender document, 3 receipts, record, report, publicity, award, 2 notices, contract
    # and its file.
    assert verdict.signed == 3 + 1 + 1 + 1 + 2 + 1
    assert verdict.bound == 1 + 3 + 1 + 1 + 1 + 1 + 2 + 1 + 1
    manifest = json.loads(files["manifest.json"])
    assert manifest["section"]["status"] == SectionStatus.CONTRACTED
