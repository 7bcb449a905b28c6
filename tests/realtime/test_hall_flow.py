"""Three bidders and a host complete an opening, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy_core import record
from realtime import decryption, hall, reading, rescue, stages
from realtime.models import BidOpening, HallStage, OpeningStatus
from supervision.models import LedgerEntry
from tests.realtime.conftest import Opening, past_the_window
from trading import chronograph
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db


def opening_of(state: Opening, index: int) -> BidOpening:
    return BidOpening.objects.get(bid=state.bids[index])


def host_moves_on(state: Opening) -> None:
    """The host moves on; within a window it waits until the window has run out."""
    state.hall.refresh_from_db()
    if state.hall.stage_deadline is not None and state.hall.stage_deadline > clock.now():
        with past_the_window(state):
            stages.enter_next(hall=state.hall, person=state.host)
    else:
        stages.enter_next(hall=state.hall, person=state.host)


def to_decryption(state: Opening) -> None:
    for bidder in state.bidders:
        hall.sign_in(hall=state.hall, person=bidder.person)
    stages.enter_next(hall=state.hall, person=state.host)  # bidder list
    stages.enter_next(hall=state.hall, person=state.host)  # decryption window


def test_the_hall_opens_at_the_deadline_with_every_live_bid_pending(opening: Opening) -> None:
    assert opening.section.status == SectionStatus.OPENING
    assert opening.hall.stage == HallStage.SIGN_IN
    assert [o.status for o in opening.hall.openings.all()] == [OpeningStatus.PENDING] * 3


def test_only_the_host_moves_the_hall(opening: Opening) -> None:
    with pytest.raises(DomainError) as caught:
        stages.enter_next(hall=opening.hall, person=opening.bidders[0].person)
    assert caught.value.code == "forbidden"


def test_the_decryption_window_is_the_sections_and_counts_from_now(opening: Opening) -> None:
    to_decryption(opening)
    opening.hall.refresh_from_db()
    assert opening.hall.stage == HallStage.DECRYPTION
    assert opening.hall.stage_deadline == clock.now() + dt.timedelta(minutes=30)
    opening.section.refresh_from_db()
    assert opening.section.next_check == opening.hall.stage_deadline


def test_a_bidder_decrypts_its_own_bid_remotely(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    to_decryption(opening)
    with django_capture_on_commit_callbacks(execute=True):
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(0),
        )
    decrypted = opening_of(opening, 0)
    assert decrypted.status == OpeningStatus.DECRYPTED and decrypted.key_source == "bidder"
    assert decrypted.sheet is not None and decrypted.sheet["price"] == "40850000.00"
    entry = LedgerEntry.objects.get(action="realtime.bid.key_submitted")
    assert decrypted.content_key is not None and bytes(decrypted.content_key).hex() not in str(
        entry.data
    )


def test_a_wrong_key_is_refused_and_the_bidder_may_try_again(opening: Opening) -> None:
    to_decryption(opening)
    with pytest.raises(DomainError) as caught:
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(1),
        )
    assert caught.value.code == "wrong_key"
    assert opening_of(opening, 0).status == OpeningStatus.PENDING


def test_nobody_decrypts_another_companys_bid(opening: Opening) -> None:
    to_decryption(opening)
    with pytest.raises(DomainError) as caught:
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[1].person,
            content_key=opening.content_key(0),
        )
    assert caught.value.code == "forbidden"


def test_a_key_after_the_window_is_refused(opening: Opening) -> None:
    to_decryption(opening)
    with (
        time_machine.travel(clock.now() + dt.timedelta(minutes=30), tick=False),
        pytest.raises(DomainError, match="window"),
    ):
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(0),
        )


def test_when_the_window_runs_out_an_unopened_bid_is_revoked_and_the_reading_starts(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    to_decryption(opening)
    with django_capture_on_commit_callbacks(execute=True):
        for index in (0, 1):
            decryption.submit_key(
                opening=opening_of(opening, index),
                person=opening.bidders[index].person,
                content_key=opening.content_key(index),
            )
    with time_machine.travel(clock.now() + dt.timedelta(minutes=30), tick=False):
        assert chronograph.apply_time_events(opening.section.pk) == ["hall_window_closed"]
    opening.hall.refresh_from_db()
    assert opening.hall.stage == HallStage.READING
    assert opening_of(opening, 2).status == OpeningStatus.REVOKED  # [E31]: the bidder's fault
    assert opening.hall.reading is not None
    rows = opening.hall.reading["rows"]
    assert [row["status"] for row in rows] == ["decrypted", "decrypted", "revoked"]
    assert rows[1]["values"]["price"] == "41850000.00" and rows[2]["values"] is None
    assert opening.hall.reading["price_ceiling"] == "48000000.00"


def test_a_platform_failure_is_rescued_by_two_key_holders(
    opening: Opening, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts.models import Person
    from ggzy_core.gm import envelope, shamir
    from trading.models import OpeningKeyShare

    to_decryption(opening)
    real_unseal = envelope.unseal

    def storage_lost(*args: Any, **kwargs: Any) -> Any:
        raise OSError("storage node lost")

    monkeypatch.setattr(envelope, "unseal", storage_lost)
    with django_capture_on_commit_callbacks(execute=True):
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(0),
        )
    assert opening_of(opening, 0).status == OpeningStatus.FAILED
    monkeypatch.setattr(envelope, "unseal", real_unseal)

    outsider = Person.objects.create(
        username="not-a-holder", organisation=opening.bidders[1].organisation
    )
    with pytest.raises(DomainError, match="holds no share"):
        decryption.submit_share(hall=opening.hall, person=outsider, share=b"\x01" + b"\x00" * 32)
    rescue.start_rescue(hall=opening.hall, person=opening.host)  # the host starts the rescue
    rescued_counts = []
    with django_capture_on_commit_callbacks(execute=True):
        # The regulator (index 2) and the centre (index 1): the regulator's is always needed.
        for share in OpeningKeyShare.objects.filter(section=opening.section).order_by("-index")[1:]:
            holder = Person.objects.create(
                username=f"holder{share.index}", organisation=share.holder
            )
            opened = shamir.open_share(
                bytes(share.sealed_share), opening.holders.keys[share.holder.credit_code]
            )
            rescued_counts.append(
                decryption.submit_share(
                    hall=opening.hall, person=holder, share=opened.to_bytes()
                ).rescued
            )
    assert rescued_counts == [0, 1]  # nothing until the second holder
    rescued = opening_of(opening, 0)
    assert rescued.status == OpeningStatus.DECRYPTED and rescued.key_source == "opening_key"
    assert LedgerEntry.objects.filter(action="realtime.opening_key.share_used").count() == 2
    assert LedgerEntry.objects.filter(action="realtime.opening_key.reconstructed").count() == 1
    assert all(s.share is None for s in opening.hall.shares.all())  # used once, not kept


def test_an_unrescued_platform_failure_is_withdrawn_and_the_opening_goes_on(
    opening: Opening, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ggzy_core.gm import envelope

    to_decryption(opening)
    monkeypatch.setattr(envelope, "unseal", lambda *a, **k: (_ for _ in ()).throw(OSError("lost")))
    with django_capture_on_commit_callbacks(execute=True):
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(0),
        )
    with past_the_window(opening):
        stages.enter_next(hall=opening.hall, person=opening.host)  # to the reading
    assert opening_of(opening, 0).status == OpeningStatus.WITHDRAWN  # [E31]: not the bidder's fault
    assert opening_of(opening, 1).status == OpeningStatus.REVOKED


def complete_opening(state: Opening, capture: Any) -> None:
    to_decryption(state)
    with capture(execute=True):
        for index in range(3):
            decryption.submit_key(
                opening=opening_of(state, index),
                person=state.bidders[index].person,
                content_key=state.content_key(index),
            )
    stages.enter_next(hall=state.hall, person=state.host)  # reading
    stages.enter_next(hall=state.hall, person=state.host)  # confirmation
    state.hall.refresh_from_db()
    message = reading.reading_message(state.hall.reading_sm3)
    for index, decision in [(0, "confirm"), (1, "confirm"), (2, "object")]:
        reading.answer(
            hall=state.hall,
            person=state.bidders[index].person,
            decision=decision,
            signature=state.bidders[index].key.sign(message),
        )
    objection = reading.raise_objection(
        hall=state.hall, person=state.bidders[2].person, text="报价读错了"
    )
    reading.answer_objection(objection=objection, person=state.host, text="已核对，唱标无误")
    stages.enter_next(hall=state.hall, person=state.host)  # objections
    with capture(execute=True):  # the record is built by a task after the close commits
        stages.enter_next(hall=state.hall, person=state.host)  # closed


def test_a_complete_opening_ends_with_a_signed_record_and_evaluation(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    complete_opening(opening, django_capture_on_commit_callbacks)
    opening.hall.refresh_from_db()
    opening.section.refresh_from_db()
    assert opening.hall.stage == HallStage.CLOSED
    assert opening.section.status == SectionStatus.EVALUATION
    signed, record_json = opening.hall.record_signature, opening.hall.record_json
    assert signed is not None and record_json is not None
    assert record.verify_record(bytes(record_json), signed, signing.platform_public_key())
    assert (
        LedgerEntry.objects.get(action="realtime.record.signed").data["record_sm3"]
        == signed["record_sm3"]
    )
    assert opening.hall.record_pdf.read().startswith(b"%PDF")
    data = bytes(record_json).decode()
    assert "报价读错了" in data and "已核对" in data


def test_the_host_cannot_cut_the_decryption_window_short(opening: Opening) -> None:
    to_decryption(opening)
    with pytest.raises(DomainError) as caught:
        stages.enter_next(hall=opening.hall, person=opening.host)
    assert caught.value.code == "window_open" and "3" in caught.value.message
    assert opening_of(opening, 0).status == OpeningStatus.PENDING  # nobody revoked early


def test_a_signature_by_another_key_does_not_confirm(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    to_decryption(opening)
    host_moves_on(opening)  # reading
    host_moves_on(opening)  # confirmation
    opening.hall.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        reading.answer(
            hall=opening.hall,
            person=opening.bidders[0].person,
            decision="confirm",
            signature=opening.bidders[1].key.sign(
                reading.reading_message(opening.hall.reading_sm3)
            ),
        )
    assert caught.value.code == "bad_signature"


def test_the_hall_cannot_close_with_an_unanswered_objection(opening: Opening) -> None:
    to_decryption(opening)
    for _ in range(3):
        host_moves_on(opening)  # reading, confirmation, objections
    reading.raise_objection(hall=opening.hall, person=opening.bidders[0].person, text="有异议")
    with pytest.raises(DomainError, match="unanswered"):
        stages.enter_next(hall=opening.hall, person=opening.host)


def test_every_event_is_numbered_without_gaps(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    complete_opening(opening, django_capture_on_commit_callbacks)
    sequences = list(opening.hall.events.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))
    opening.hall.refresh_from_db()
    assert opening.hall.sequence == len(sequences)


def test_the_tenderee_may_answer_an_objection_but_another_bidder_may_not(opening: Opening) -> None:
    from accounts.models import Person

    to_decryption(opening)
    host_moves_on(opening)  # reading
    objection = reading.raise_objection(
        hall=opening.hall, person=opening.bidders[0].person, text="质疑"
    )
    with pytest.raises(DomainError):
        reading.answer_objection(
            objection=objection, person=opening.bidders[1].person, text="不是我答"
        )
    tenderee = Person.objects.get(username="tenderee")
    answered = reading.answer_objection(objection=objection, person=tenderee, text="招标人答复")
    assert answered.answered_by == tenderee


def test_a_stored_bid_that_no_longer_matches_its_receipt_fails_as_the_platforms_fault(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    from bidding.models import Bid

    to_decryption(opening)
    Bid.objects.filter(pk=opening.bids[0].pk).update(
        sm3="0" * 64
    )  # what storage corruption looks like
    with django_capture_on_commit_callbacks(execute=True):
        decryption.submit_key(
            opening=opening_of(opening, 0),
            person=opening.bidders[0].person,
            content_key=opening.content_key(0),
        )
    failed = opening_of(opening, 0)
    assert failed.status == OpeningStatus.FAILED  # rescuable by the key holders, never revoked
    assert "OSError" in failed.failure


def test_the_section_page_publishes_the_signed_record(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    complete_opening(opening, django_capture_on_commit_callbacks)
    page = Client().get(f"/sections/{opening.section.code}/").content.decode()
    opening.hall.refresh_from_db()
    assert opening.hall.record_signature is not None
    assert opening.hall.record_signature["record_sm3"] in page
    pdf = Client().get(f"/api/halls/{opening.section.code}/record?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
