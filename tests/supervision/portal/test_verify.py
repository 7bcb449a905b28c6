"""The verify button checks the chain and its signed checkpoints, says so, and ledgers it;
a changed entry shows as broken."""

from __future__ import annotations

import contextlib

import pgtrigger
import pytest
from django.db import connection
from django.urls import reverse

from supervision import ledger
from supervision.models import LedgerEntry
from tests.security.conftest import MakeWorld
from tests.supervision.portal.people import signed_in

pytestmark = pytest.mark.django_db


def test_an_intact_chain_is_reported_intact_and_the_check_ledgered(world_at: MakeWorld) -> None:
    world = world_at("closed")
    ledger.checkpoint()
    client = signed_in(world, "regulator")
    response = client.post(reverse("supervision:ledger_verify"))
    result = response.context["result"]
    assert result.ok and result.checkpoints >= 1
    assert "The chain is intact" in response.content.decode()
    entry = LedgerEntry.objects.filter(action="supervision.ledger.verified").get()
    assert entry.data["ok"] is True
    again = client.get(reverse("supervision:ledger_verify"))
    assert again.context["last"] == entry


def test_a_changed_entry_is_reported_broken(world_at: MakeWorld) -> None:
    world = world_at("closed")
    target = LedgerEntry.objects.filter(action="trading.section.created").first()
    assert target is not None
    bypass = (
        pgtrigger.ignore("supervision.LedgerEntry:ledger_entry_append_only")
        if connection.vendor == "postgresql"
        else contextlib.nullcontext()
    )
    with bypass, connection.cursor() as cursor:
        cursor.execute(
            "UPDATE supervision_ledgerentry SET actor_name = 'forger' WHERE sequence = %s",
            [target.sequence],
        )
    client = signed_in(world, "regulator")
    response = client.post(reverse("supervision:ledger_verify"))
    assert response.context["result"].ok is False
    assert "The chain is broken" in response.content.decode()
