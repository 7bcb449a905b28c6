import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from ggzy import signing
from ggzy_core import ledger_chain as chain
from supervision import ledger
from supervision.models import AppendOnlyError, LedgerEntry, LedgerHead
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_entries_are_numbered_and_chained() -> None:
    first = ledger.append("tests.thing.happened", data={"n": 1})
    second = ledger.append("tests.thing.happened", data={"n": 2})
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == chain.GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert LedgerHead.objects.get().entry_hash == second.entry_hash


def test_the_hash_covers_every_field() -> None:
    entry = ledger.append("tests.thing.happened", data={"n": 1}, address="203.0.113.9")
    record = ledger.record_of(entry)
    assert chain.entry_hash(record) == entry.entry_hash
    for field, value in [("action", "tests.other"), ("network_address", "203.0.113.10")]:
        assert chain.entry_hash({**record, field: value}) != entry.entry_hash


def test_it_records_time_address_and_actor() -> None:
    person = PersonFactory.create()
    moment = dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=dt.UTC)
    with (
        time_machine.travel(moment, tick=False),
        ledger.acting(address="198.51.100.7", user=person),
    ):
        entry = ledger.append("tests.thing.happened")
    assert entry.recorded_at == moment
    assert entry.network_address == "198.51.100.7"
    assert entry.actor_person_id == person.pk
    assert person.organisation is not None
    assert entry.actor_organisation == person.organisation.credit_code
    assert entry.actor_role == "bidder"


def test_outside_a_request_the_system_acts() -> None:
    entry = ledger.append("tests.thing.happened")
    assert entry.actor_name == "system" and entry.network_address is None


def test_secrets_never_reach_the_ledger() -> None:
    entry = ledger.append(
        "tests.thing.happened",
        data={
            "password": "hunter2",
            "nested": {"private_key_pem": "-----BEGIN", "content_key": "00ff", "size": 3},
            "items": [{"api_token": "abc"}],
            "fingerprint": "kept",
        },
    )
    stored = LedgerEntry.objects.get(pk=entry.pk).data
    assert stored["password"] == "***"
    assert stored["nested"] == {"private_key_pem": "***", "content_key": "***", "size": 3}
    assert stored["items"] == [{"api_token": "***"}]
    assert stored["fingerprint"] == "kept"


def test_money_is_stored_as_an_exact_string() -> None:
    entry = ledger.append("tests.money.moved", data={"amount": Decimal("800000.01")})
    assert LedgerEntry.objects.get(pk=entry.pk).data["amount"] == "800000.01"
    assert ledger.verify().ok


def test_it_refuses_a_malformed_action_name() -> None:
    with pytest.raises(ledger.LedgerError, match="dotted"):
        ledger.append("Bad Action")


def test_it_refuses_data_it_cannot_encode_and_writes_nothing() -> None:
    with pytest.raises(ledger.LedgerError, match="cannot be encoded"):
        ledger.append("tests.thing.happened", data={"when": float("nan")})
    assert not LedgerEntry.objects.exists()


def test_the_model_refuses_updates_and_deletes() -> None:
    entry = ledger.append("tests.thing.happened")
    entry.action = "tests.thing.rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(action="tests.x.y")
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).action == "tests.thing.happened"


def test_an_entry_rolls_back_with_the_change_it_records() -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append("tests.thing.happened")
        raise RuntimeError("the change failed")
    assert not LedgerEntry.objects.exists()
    assert ledger.append("tests.thing.happened").sequence == 1


def test_a_checkpoint_signs_the_head_with_the_platform_key() -> None:
    for n in range(3):
        ledger.append("tests.thing.happened", data={"n": n})
    point = ledger.checkpoint()
    assert point is not None and point.sequence == 3
    assert point.key_fingerprint == signing.platform_public_key().fingerprint()
    message = chain.checkpoint_message(
        sequence=3,
        entry_hash=LedgerEntry.objects.get(sequence=3).entry_hash,
        signed_at=ledger.checkpoint_records()[0]["signed_at"],
    )
    assert signing.platform_public_key().verify(message, bytes(point.signature))


def test_checkpointing_an_already_signed_head_does_nothing() -> None:
    ledger.append("tests.thing.happened")
    assert ledger.checkpoint() is not None
    assert ledger.checkpoint() is None
    ledger.append("tests.thing.happened")
    assert ledger.checkpoint() is not None


def test_an_empty_ledger_has_nothing_to_sign() -> None:
    assert ledger.checkpoint() is None


def test_an_intact_ledger_verifies_with_its_count() -> None:
    for n in range(5):
        ledger.append("tests.thing.happened", data={"n": n})
    ledger.checkpoint()
    verdict = ledger.verify()
    assert verdict.ok
    assert verdict.entries == 5 and verdict.checkpoints == 1


def test_an_embargoed_entry_is_chained_but_hidden_while_its_scope_is_sealed() -> None:
    deadline = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(deadline - dt.timedelta(days=1), tick=False):
        ledger.seal("tests.section:1", until=deadline)
        entry = ledger.append("tests.bid.received", data={"bidder": "X"}, embargo="tests.section:1")
        ledger.append("tests.thing.happened")
        assert list(ledger.visible().values_list("action", flat=True)) == ["tests.thing.happened"]
    assert entry in ledger.visible(deadline)
    record = ledger.record_of(LedgerEntry.objects.get(pk=entry.pk))
    assert record["embargo"] == "tests.section:1"
    assert chain.entry_hash({**record, "embargo": None}) != entry.entry_hash
    assert ledger.verify().ok


def test_moving_a_seal_moves_every_entry_of_its_scope_and_no_other() -> None:
    deadline = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    moved = deadline + dt.timedelta(days=14)
    ledger.seal("tests.section:1", until=deadline)
    ledger.seal("tests.section:2", until=deadline)
    first = ledger.append("tests.bid.received", embargo="tests.section:1")
    other = ledger.append("tests.bid.received", embargo="tests.section:2")
    ledger.seal("tests.section:1", until=moved)
    assert set(ledger.visible(deadline)) == {other}
    assert set(ledger.visible(moved)) == {first, other}


def test_an_entry_whose_scope_was_never_sealed_stays_hidden() -> None:
    entry = ledger.append("tests.bid.received", embargo="tests.section:9")
    assert entry not in ledger.visible(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize("scope", ["section 12", "trading.section", "Trading.Section:1", ":1"])
def test_it_refuses_a_malformed_embargo_scope(scope: str) -> None:
    with pytest.raises(ledger.LedgerError):
        ledger.append("tests.bid.received", embargo=scope)
    with pytest.raises(ledger.LedgerError):
        ledger.seal(scope, until=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert not LedgerEntry.objects.exists()


def test_checkpoints_do_not_tell_when_embargoed_entries_were_written() -> None:
    ledger.seal("tests.section:1", until=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    ledger.append("tests.thing.happened")
    assert ledger.checkpoint() is not None
    ledger.append("tests.bid.received", embargo="tests.section:1")
    assert ledger.checkpoint() is None  # a quiet interval but for a bid: nothing to sign
    ledger.append("tests.thing.happened")
    point = ledger.checkpoint()
    assert point is not None and point.sequence == 3  # the bid is signed with it
    assert ledger.verify().ok
