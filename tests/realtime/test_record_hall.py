"""The record a real opening produces: every hall event, who signed in, the keys that signed
the answers; how it is downloaded; what signing in answers (docs/decisions.md, Sign-in)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from ggzy import clock, signing
from ggzy_core import record
from ggzy_core.times import beijing
from realtime import attendance, decryption, hall, reading, record_content, stages
from realtime.models import BidOpening, HallEvent, SignIn
from tests.realtime.conftest import Opening

pytestmark = pytest.mark.django_db

STAGE_KINDS = [
    "sign_in_opened",
    "bidders_shown",
    "decryption_opened",
    "reading_started",
    "confirmation_opened",
    "objections_opened",
    "closed",
]


def open_without_the_third_signing_in(state: Opening, capture: Any) -> None:
    """Bidders 0 and 1 sign in, bidder 2 never does, yet decrypts, objects and is answered."""
    for bidder in state.bidders[:2]:
        hall.sign_in(hall=state.hall, person=bidder.person)
    stages.enter_next(hall=state.hall, person=state.host)  # bidder list
    stages.enter_next(hall=state.hall, person=state.host)  # decryption
    with capture(execute=True):
        for index, bidder in enumerate(state.bidders):
            decryption.submit_key(
                opening=BidOpening.objects.get(bid=state.bids[index]),
                person=bidder.person,
                content_key=state.content_key(index),
            )
    stages.enter_next(hall=state.hall, person=state.host)  # reading
    stages.enter_next(hall=state.hall, person=state.host)  # confirmation
    state.hall.refresh_from_db()
    message = reading.reading_message(state.hall.reading_sm3)
    for index, decision in [(0, "confirm"), (1, "confirm"), (2, "object")]:
        bidder = state.bidders[index]
        reading.answer(
            hall=state.hall,
            person=bidder.person,
            decision=decision,
            signature=bidder.key.sign(message),
        )
    objection = reading.raise_objection(
        hall=state.hall, person=state.bidders[2].person, text="报价读错了"
    )
    reading.answer_objection(objection=objection, person=state.host, text="已核对，唱标无误")
    stages.enter_next(hall=state.hall, person=state.host)  # objections
    with capture(execute=True):
        stages.enter_next(hall=state.hall, person=state.host)  # closed; the record follows
    state.hall.refresh_from_db()


def record_of(state: Opening) -> dict[str, Any]:
    assert state.hall.record_json is not None
    return dict(json.loads(bytes(state.hall.record_json)))


def test_the_record_gives_each_bidders_sign_in_time_or_null(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    open_without_the_third_signing_in(opening, django_capture_on_commit_callbacks)
    bids = record_of(opening)["bids"]
    signed = {s.organisation.name: s.signed_in_at for s in SignIn.objects.all()}
    for bid in bids[:2]:
        expected = signed[bid["bidder_name"]].astimezone(ZoneInfo("Asia/Shanghai"))
        assert bid["signed_in_at"] == expected.isoformat()
    assert bids[2]["signed_in_at"] is None
    # Not signing in changed nothing about the bid [E30, E31].
    assert bids[2]["status"] == "decrypted" and bids[2]["reading"] is not None


def test_the_record_names_the_key_that_signed_an_objection_to_the_reading(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    open_without_the_third_signing_in(opening, django_capture_on_commit_callbacks)
    answers = [bid["confirmation"] for bid in record_of(opening)["bids"]]
    assert [a["state"] for a in answers] == ["confirmed", "confirmed", "objected"]
    assert [a["signature_fingerprint"] for a in answers] == [
        b.key.public_key().fingerprint() for b in opening.bidders
    ]


def test_the_record_lists_every_event_of_the_hall_in_order_in_beijing_time(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    open_without_the_third_signing_in(opening, django_capture_on_commit_callbacks)
    events = record_of(opening)["events"]
    kinds = [e["kind"] for e in events]
    assert [k for k in kinds if k in STAGE_KINDS] == STAGE_KINDS
    names = [b.organisation.name for b in opening.bidders]
    mine = {name: [e["kind"] for e in events if e["bidder_name"] == name] for name in names}
    assert mine[names[0]] == ["signed_in", "key_accepted", "decrypted", "confirmed"]
    assert mine[names[2]] == ["key_accepted", "decrypted", "objected", "objection_raised"]
    assert "objection_answered" in kinds and "other" not in kinds
    # Everything the hall showed before the close, nothing dropped: all but the record's own.
    shown = HallEvent.objects.filter(hall=opening.hall).exclude(kind="record").count()
    assert len(events) == shown
    assert all(e["at"].endswith("+08:00") for e in events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


def test_a_long_event_list_keeps_its_start_and_end_and_counts_what_it_leaves_out() -> None:
    start = clock.now()
    events = [
        record.Event(
            record.EventKind.SIGNED_IN, start + dt.timedelta(seconds=n), bidder_name=str(n)
        )
        for n in range(20)
    ]
    kept = record_content.capped(events, 8)
    assert len(kept) == 8
    assert kept[:6] == tuple(events[:6]) and kept[-1] == events[-1]
    assert kept[6].kind is record.EventKind.OMITTED and "13" in kept[6].note
    assert record_content.capped(events, 20) == tuple(events)
    assert record.events_cap(3) < record.events_cap(4)


def test_the_record_downloads_under_its_chinese_name_with_an_ascii_fallback(
    opening: Opening, django_capture_on_commit_callbacks: Any
) -> None:
    open_without_the_third_signing_in(opening, django_capture_on_commit_callbacks)
    code = opening.section.code
    url = f"/api/halls/{code}/record"
    for kind, suffix, disposition in [
        ("pdf", ".pdf", "inline"),
        ("json", ".json", "attachment"),
        ("signature", ".sig.json", "attachment"),
    ]:
        header = Client().get(url, {"format": kind})["Content-Disposition"]
        assert header == (
            f'{disposition}; filename="opening-record-{code}{suffix}"; '
            f"filename*=UTF-8''{quote(f'开标记录-{code}{suffix}')}"
        )
    signed = json.loads(Client().get(url, {"format": "signature"}).content)
    body = Client().get(url, {"format": "json"}).content
    assert record.verify_record(body, signed, signing.platform_public_key())


def test_signing_in_answers_with_the_time_what_comes_next_and_what_it_means(
    opening: Opening,
) -> None:
    client = opening.bidders[0].client()
    first = client.post(f"/api/halls/{opening.section.code}/sign-in")
    assert first.status_code == 200, first.content
    body = first.json()
    at = SignIn.objects.get(organisation=opening.bidders[0].organisation).signed_in_at
    assert body["signed_in_at"] == clock.epoch_ms(at)
    assert (
        beijing(at, milliseconds=False) in body["detail"] and "decrypt your bid" in body["detail"]
    )
    assert body["rule"] == attendance.SIGN_IN_RULE
    with time_machine.travel(clock.now() + dt.timedelta(minutes=5), tick=False):
        again = client.post(f"/api/halls/{opening.section.code}/sign-in").json()
    assert again["signed_in_at"] == body["signed_in_at"]  # the first time stands


def test_the_hall_page_tells_a_bidder_what_signing_in_means(opening: Opening) -> None:
    client = Client()
    client.force_login(opening.bidders[0].person)
    page = client.get(f"/halls/{opening.section.code}/").content.decode()
    assert 'id="sign-in-rule"' in page
    assert "not a condition of decryption" in page and "签到不是解密的前提" in page
