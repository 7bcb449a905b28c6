"""The opening record's PDF is stored only with the record: a transaction that does not
commit leaves no file behind (issue 8), and a later run stores it once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError

from realtime import closing, events, stages
from realtime.models import Hall
from supervision.models import LedgerEntry
from tests.realtime.conftest import Opening
from tests.realtime.test_hall_flood import to_reading
from tests.realtime.test_hall_flow import host_moves_on

pytestmark = pytest.mark.django_db


def record_files(settings: Any) -> list[str]:
    root = Path(settings.MEDIA_ROOT) / "opening-records"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def closed_without_record(state: Opening, capture: Any) -> Hall:
    to_reading(state)
    host_moves_on(state)  # confirmation
    host_moves_on(state)  # objections
    with capture(execute=False):  # no worker yet: the record is not built
        stages.enter_next(hall=state.hall, person=state.host)
    return Hall.objects.get(pk=state.hall.pk)


def test_a_record_whose_transaction_rolls_back_leaves_no_pdf_and_a_retry_stores_one(
    opening: Opening,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    closed = closed_without_record(opening, django_capture_on_commit_callbacks)
    seen: list[list[str]] = []

    def announcement_fails(*args: Any, **kwargs: Any) -> None:
        seen.append(record_files(settings))
        raise DatabaseError("the database went away")

    monkeypatch.setattr(events, "emit", announcement_fails)  # after the PDF is written
    with pytest.raises(DatabaseError):
        closing.publish_record(closed.pk)
    assert len(seen) == 1 and len(seen[0]) == 1  # the PDF was written before the failure
    assert record_files(settings) == []
    closed.refresh_from_db()
    assert not closed.record_signature and not closed.record_pdf
    assert not LedgerEntry.objects.filter(action="realtime.record.signed").exists()

    monkeypatch.undo()
    assert closing.publish_record(closed.pk) == "signed"
    closed.refresh_from_db()
    assert record_files(settings) == [Path(str(closed.record_pdf.name)).name]
