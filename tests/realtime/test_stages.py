"""The stage table: every stage change is ledgered, and a refusal says the stage, what the
person can do and when."""

from __future__ import annotations

import pytest

from ggzy.errors import DomainError
from realtime import access, decryption, guide, hall, reading, snapshot, stages
from realtime.models import BidOpening, Hall, HallStage, OpeningStatus
from supervision.models import LedgerEntry
from tests.realtime.conftest import Opening, past_the_window
from trading import chronograph
from trading.models import Section

pytestmark = pytest.mark.django_db


def opening_of(state: Opening, index: int) -> BidOpening:
    return BidOpening.objects.get(bid=state.bids[index])


def to_decryption(state: Opening) -> None:
    stages.enter_next(hall=state.hall, person=state.host)  # bidder list
    stages.enter_next(hall=state.hall, person=state.host)  # decryption window


def unlock(state: Opening, index: int) -> BidOpening:
    return decryption.submit_key(
        opening=opening_of(state, index),
        person=state.bidders[index].person,
        content_key=state.content_key(index),
    )


def refusal(call: object) -> DomainError:
    assert callable(call)
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_the_hall_is_created_with_a_ledger_entry(opening: Opening) -> None:
    entry = LedgerEntry.objects.get(action="realtime.hall.created")
    assert entry.target_id == str(opening.section.pk)
    assert entry.data["stage"] == HallStage.WAITING


def test_every_stage_the_hall_enters_is_ledgered_with_where_it_came_from(
    opening: Opening,
) -> None:
    to_decryption(opening)
    moves = [
        (e.data["from"], e.data["to"])
        for e in LedgerEntry.objects.filter(action__startswith="realtime.hall.").exclude(
            action__in=["realtime.hall.created", "realtime.hall.signed_in"]
        )
    ]
    assert moves == [
        (HallStage.WAITING, HallStage.SIGN_IN),
        (HallStage.SIGN_IN, HallStage.BIDDERS),
        (HallStage.BIDDERS, HallStage.DECRYPTION),
    ]


def test_a_window_cleared_while_the_platform_still_decrypts_is_ledgered(opening: Opening) -> None:
    to_decryption(opening)
    unlock(opening, 0)  # its decryption task never runs here: the bid stays decrypting
    with past_the_window(opening):
        chronograph.apply_time_events(opening.section.pk)
    current = Hall.objects.get(pk=opening.hall.pk)
    assert current.stage == HallStage.DECRYPTION and current.stage_deadline is None
    cleared = LedgerEntry.objects.get(action="realtime.hall.window_closed")
    assert cleared.data["stage"] == HallStage.DECRYPTION and cleared.data["deadline"]
    assert opening_of(opening, 1).status == OpeningStatus.REVOKED  # [E31]


def test_unlocking_during_sign_in_says_the_stage_and_when_decryption_opens(
    opening: Opening,
) -> None:
    refused = refusal(lambda: unlock(opening, 0))
    assert refused.code == "conflict"
    assert "签到阶段" in refused.message and "sign-in" in refused.message
    assert "once the host opens the decryption window" in refused.message
    assert opening_of(opening, 0).status == OpeningStatus.PENDING


def test_unlocking_after_the_window_says_decryption_is_over(opening: Opening) -> None:
    to_decryption(opening)
    with past_the_window(opening):
        refused = refusal(lambda: unlock(opening, 0))
    assert "decryption is over" in refused.message and "[E31]" in refused.message
    assert guide.when(Hall.objects.get(pk=opening.hall.pk).stage_deadline).en in refused.message


def test_a_repeated_unlock_is_no_error_and_changes_nothing(opening: Opening) -> None:
    to_decryption(opening)
    first = unlock(opening, 0)
    again = unlock(opening, 0)
    assert first.status == again.status == OpeningStatus.DECRYPTING
    assert LedgerEntry.objects.filter(action="realtime.bid.key_submitted").count() == 1
    assert "nothing more to do" in decryption.already_opened_message(again)


def test_confirming_during_decryption_says_the_stage_and_when_confirmation_opens(
    opening: Opening,
) -> None:
    to_decryption(opening)
    refused = refusal(
        lambda: reading.answer(
            hall=opening.hall, person=opening.bidders[0].person, decision="confirm", signature=b""
        )
    )
    assert "解密阶段" in refused.message and "in decryption" in refused.message
    assert "once the host opens the confirmation window" in refused.message
    assert "SM3" not in refused.message


def test_signing_in_before_the_hall_opens_says_when_it_opens(
    published: Section, tenderee: object
) -> None:
    current = Hall.objects.get(section=published)
    refused = refusal(lambda: hall.sign_in(hall=current, person=tenderee))  # type: ignore[arg-type]
    assert guide.when(published.bid_deadline).zh in refused.message
    assert "opens at the bid deadline" in refused.message


def test_the_snapshot_carries_the_same_words_as_the_refusals(opening: Opening) -> None:
    state = snapshot.snapshot(access.hall_for(opening.host, opening.section.code), opening.host)
    words = guide.where(opening.hall)
    assert state["guide"] == {"zh": words.zh, "en": words.en}
    assert words.en in refusal(lambda: unlock(opening, 0)).message


def test_the_hosts_next_follows_the_table_to_the_end(opening: Opening) -> None:
    order = [HallStage.SIGN_IN]
    while (target := stages.NEXT.get(order[-1])) is not None:
        order.append(HallStage(target))
    assert tuple(order) == guide.ORDER[1:]
