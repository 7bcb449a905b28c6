"""One bidder floods the hall with objections (issue 7): it is refused beyond the limits,
the stream stays small, the host closes at once, and the rest of the platform keeps working
while the opening record is built."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from accounts.models import Organisation, Person
from ggzy import clock, signing
from ggzy.errors import DomainError
from ggzy_core import record
from realtime import closing, events, reading, record_pdf, rules, snapshot, stages
from realtime.models import Hall, HallEvent, HallObjection, HallStage
from supervision.models import LedgerEntry
from tests.factories import TEST_PASSWORD, PersonFactory
from tests.realtime.conftest import Opening
from tests.realtime.test_hall_flow import host_moves_on, to_decryption
from tests.trading.conftest import section_fields, upload
from trading import chronograph, documents, services
from trading.models import Section, SectionStatus

LONGEST_NAME = "长" * 200  # Organisation.name max_length: names are in every table
MAX_TEXT = "异" * rules.OBJECTION_TEXT_MAX_CHARS
MAX_ANSWER = "答" * rules.OBJECTION_ANSWER_MAX_CHARS


def size(message: Any) -> int:
    """What a message costs on the wire: ASCII-escaped JSON (a websocket frame), the larger
    of that and msgpack's UTF-8 in the channel layer."""
    return len(json.dumps(message).encode())


def to_reading(state: Opening) -> None:
    to_decryption(state)
    host_moves_on(state)  # the reading: objections are open [R44]


def flood(state: Opening, *, answer: bool) -> list[HallObjection]:
    """Every bidder raises as many objections as it may, each as long as it may be."""
    raised = [
        reading.raise_objection(hall=state.hall, person=bidder.person, text=MAX_TEXT)
        for bidder in state.bidders
        for _ in range(rules.OBJECTIONS_PER_BIDDER_MAX)
    ]
    if answer:
        for objection in raised:
            reading.answer_objection(objection=objection, person=state.host, text=MAX_ANSWER)
    return raised


def with_longest_names(state: Opening) -> None:
    Organisation.objects.filter(pk__in=[b.organisation.pk for b in state.bidders]).update(
        name=LONGEST_NAME
    )
    for bidder in state.bidders:
        bidder.person.refresh_from_db()


@pytest.mark.django_db
def test_it_refuses_objections_beyond_the_length_and_the_number_a_bidder_may_raise(
    opening: Opening,
) -> None:
    to_reading(opening)
    bidder = opening.bidders[0]
    client = bidder.client()
    url = f"/api/halls/{opening.section.code}/objections"
    too_long = client.post(url, {"text": MAX_TEXT + "异"}, format="json")
    assert too_long.status_code == 400
    assert too_long.json()["code"] == "too_long"
    assert "2,000" in too_long.json()["detail"] and "不得超过" in too_long.json()["detail"]
    for _ in range(rules.OBJECTIONS_PER_BIDDER_MAX):
        assert client.post(url, {"text": MAX_TEXT}, format="json").status_code == 201
    sequence = Hall.objects.get(pk=opening.hall.pk).sequence
    one_more = client.post(url, {"text": "还有一条"}, format="json")
    assert one_more.status_code == 400 and one_more.json()["code"] == "limit_reached"
    assert "5" in one_more.json()["detail"] and "R60" in one_more.json()["detail"]
    # Nothing of the refused ones was kept, streamed or ledgered.
    assert HallObjection.objects.filter(organisation=bidder.organisation).count() == 5
    assert Hall.objects.get(pk=opening.hall.pk).sequence == sequence
    assert LedgerEntry.objects.filter(action="realtime.objection.raised").count() == 5
    # Another bidder still has its own five.
    other = opening.bidders[1].client().post(url, {"text": "我也有异议"}, format="json")
    assert other.status_code == 201
    # The answer is bounded too.
    objection = HallObjection.objects.filter(organisation=bidder.organisation).first()
    assert objection is not None
    with pytest.raises(DomainError) as caught:
        reading.answer_objection(objection=objection, person=opening.host, text=MAX_ANSWER + "答")
    assert caught.value.code == "too_long"
    objection.refresh_from_db()
    assert objection.answered_at is None and objection.answer == ""


@pytest.mark.django_db
def test_the_snapshot_and_every_event_stay_under_the_bound_whatever_bidders_post(
    opening: Opening,
) -> None:
    with_longest_names(opening)
    to_reading(opening)
    raised = flood(opening, answer=True)
    # Beyond what three bidders may post: a hall of DESIGN_BIDDERS bidders, each at its limit
    # (stored directly: the service would refuse the sixth of one bidder).
    bidder = opening.bidders[0]
    HallObjection.objects.bulk_create(
        HallObjection(
            hall=opening.hall,
            organisation=bidder.organisation,
            raised_by=bidder.person,
            raised_at=clock.now(),
            text=MAX_TEXT,
        )
        for _ in range(rules.DESIGN_BIDDERS * rules.OBJECTIONS_PER_BIDDER_MAX - len(raised))
    )
    viewers: list[Any] = [opening.host, bidder.person, opening.bidders[1].person, None]
    for person in viewers:
        user = person if person is not None else _anonymous()
        state = snapshot.snapshot(opening.hall, user)
        # The rest of the snapshot grows with the number of bidders (their names in the
        # bidder table, the reading and the answers), not with what they write.
        per_bidder = max(
            size(row) + size(line) + size({"bidder": LONGEST_NAME, "decision": "object"})
            for row, line in zip(state["bidders"], state["reading"]["rows"], strict=True)
        )
        worst = size(state) + (rules.DESIGN_BIDDERS - len(state["bidders"])) * per_bidder
        assert worst < rules.MESSAGE_BOUND_BYTES, (worst, size(state))
        assert len(state["objections"]) == rules.SNAPSHOT_OBJECTIONS_MAX
        assert state["objections_total"] == rules.DESIGN_BIDDERS * rules.OBJECTIONS_PER_BIDDER_MAX
    # Unanswered objections come first: the host sees what waits for an answer.
    unanswered = snapshot.snapshot(opening.hall, opening.host)["objections"]
    assert all(not item["answered"] for item in unanswered)
    for event in HallEvent.objects.filter(hall=opening.hall):
        assert size(events.as_message(event)) < rules.MESSAGE_BOUND_BYTES
    objection_events = HallEvent.objects.filter(
        hall=opening.hall, kind__in=["objection", "objection_answered"]
    )
    assert objection_events.count() == 2 * len(raised)
    assert max(size(events.as_message(e)) for e in objection_events) < 4 * 1024
    # The full text is one request away, as visible as the hall itself.
    full = Client().get(f"/api/halls/{opening.section.code}/objections/{raised[0].pk}")
    assert full.status_code == 200
    assert full.json()["text"] == MAX_TEXT and full.json()["answer"] == MAX_ANSWER
    page = Client().get(f"/api/halls/{opening.section.code}/objections?offset=50")
    assert page.status_code == 200 and page.json()["total"] == state["objections_total"]
    assert len(page.json()["objections"]) == rules.SNAPSHOT_OBJECTIONS_MAX
    missing = Client().get(f"/api/halls/{opening.section.code}/objections/999999")
    assert missing.status_code == 404


def _anonymous() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def to_objections_flooded(state: Opening) -> None:
    with_longest_names(state)
    to_reading(state)
    flood(state, answer=True)
    host_moves_on(state)  # confirmation
    host_moves_on(state)  # objections


def watch_pdf(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[], None] | None = None
) -> list[bool]:
    """Record (and optionally hold up) every PDF the platform builds."""
    calls: list[bool] = []
    build = record_pdf.render_pdf

    def watched(opening_record: record.OpeningRecord) -> bytes:
        calls.append(connection.in_atomic_block)
        if before is not None:
            before()
        return build(opening_record)

    monkeypatch.setattr(record_pdf, "render_pdf", watched)
    return calls


@pytest.mark.django_db
def test_the_host_closes_at_once_and_a_task_builds_the_record_afterwards(
    opening: Opening, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    to_objections_flooded(opening)
    built = watch_pdf(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        stages.enter_next(hall=opening.hall, person=opening.host)  # closed
    assert built == []  # the close transaction built no PDF
    current = Hall.objects.get(pk=opening.hall.pk)
    assert current.stage == HallStage.CLOSED and not current.record_json
    assert Section.objects.get(pk=opening.section.pk).status == SectionStatus.EVALUATION
    assert LedgerEntry.objects.filter(action="trading.section.evaluation").count() == 1
    assert snapshot.snapshot(current, opening.host)["record_state"] == "pending"
    code = opening.section.code
    pending = Client().get(f"/api/halls/{code}/record?format=json")
    assert pending.status_code == 409 and "being generated" in pending.json()["detail"]
    for callback in after_commit:
        callback()  # the worker: eager Celery runs closing.publish_record
    assert len(built) == 1
    current.refresh_from_db()
    signed = current.record_signature
    assert signed is not None and current.record_json is not None
    assert record.verify_record(bytes(current.record_json), signed, signing.platform_public_key())
    data = json.loads(bytes(current.record_json))
    assert [o["text"] for o in data["objections"]] == [MAX_TEXT] * 15  # in full, not excerpts
    assert data["events"][-1] == {
        "kind": "closed",
        "at": current.stage_started_at.astimezone(ZoneInfo("Asia/Shanghai")).isoformat(),
        "bidder_name": "",
        "note": "",
    }
    assert LedgerEntry.objects.get(action="realtime.record.signed").data == signed
    announced = HallEvent.objects.get(hall=current, kind="record")
    assert announced.payload == {"record_sm3": signed["record_sm3"]}
    assert snapshot.snapshot(current, opening.host)["record_state"] == "signed"
    pdf = Client().get(f"/api/halls/{code}/record?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Running the task again changes nothing.
    assert closing.publish_record(current.pk) == "done"
    assert (
        len(built) == 1 and LedgerEntry.objects.filter(action="realtime.record.signed").count() == 1
    )


@pytest.mark.django_db
def test_a_record_task_lost_with_its_worker_is_asked_for_again_by_the_chronograph(
    opening: Opening, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eager Celery would run the chronograph's ETA ticks at once, each queuing the next.
    monkeypatch.setattr(chronograph, "_tick_at", lambda section_id, moment: None)
    to_reading(opening)
    host_moves_on(opening)  # confirmation
    host_moves_on(opening)  # objections
    with django_capture_on_commit_callbacks(execute=False):  # the worker dies: never run
        stages.enter_next(hall=opening.hall, person=opening.host)
    section = Section.objects.get(pk=opening.section.pk)
    assert not Hall.objects.get(pk=opening.hall.pk).record_json
    assert section.next_check == clock.now() + rules.RECORD_RETRY_AFTER
    with django_capture_on_commit_callbacks(execute=True):
        assert chronograph.apply_time_events(section.pk) == []  # not yet due
    with (
        time_machine.travel(section.next_check, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert chronograph.apply_time_events(section.pk) == ["hall_record_retried"]
    current = Hall.objects.get(pk=opening.hall.pk)
    assert current.record_signature and current.record_json
    assert Section.objects.get(pk=section.pk).next_check is None  # nothing left to retry


@pytest.mark.django_db(transaction=True)
def test_other_sections_and_the_hall_keep_working_while_the_record_is_built(
    opening: Opening, monkeypatch: pytest.MonkeyPatch, tenderee: Person
) -> None:
    """On SQLite a transaction holds the one write lock of the platform: the record's PDF
    must not be built inside one. While the PDF builder is held up, another section's
    chronograph sweep and a login (both write) go through, and the hall reads as closed."""
    # Eager Celery would run the chronograph's ETA ticks at once, each queuing the next; the
    # sweep below is what moves the other section.
    monkeypatch.setattr(chronograph, "_tick_at", lambda section_id, moment: None)
    to_objections_flooded(opening)
    other = services.section_create(
        project=opening.section.project,
        actor=tenderee,
        **section_fields(
            name="施工二标段",
            documents_from=clock.now() - dt.timedelta(hours=1),
            bid_deadline=clock.now() + dt.timedelta(days=30),
        ),
    )
    documents.document_issue(section=other, actor=tenderee, title="招标文件", upload=upload())
    services.section_publish(section=other, actor=tenderee)
    PersonFactory.create(username="someone-else")
    building, release = threading.Event(), threading.Event()

    def hold_up() -> None:
        building.set()
        release.wait(60)

    built = watch_pdf(monkeypatch, before=hold_up)
    failures: list[BaseException] = []

    def host_closes() -> None:
        try:
            stages.enter_next(hall=opening.hall, person=opening.host)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    host = threading.Thread(target=host_closes)
    host.start()
    try:
        assert building.wait(60), "the record's PDF was never built"
        # The close has committed: the hall reads as closed, its record as being generated.
        current = Hall.objects.get(pk=opening.hall.pk)
        assert current.stage == HallStage.CLOSED
        assert snapshot.snapshot(current, opening.host)["record_state"] == "pending"
        # Another section's time events go on.
        assert chronograph.sweep().get(other.pk) == ["documents_issued"]
        assert Section.objects.get(pk=other.pk).status == SectionStatus.BIDDING
        # People log in.
        login = Client().post(
            "/accounts/login/", {"username": "someone-else", "password": TEST_PASSWORD}
        )
        assert login.status_code == 302, login.content[:500]
    finally:
        release.set()
        host.join(60)
    assert not failures, failures
    assert built == [False]  # built once, outside any transaction
    current = Hall.objects.get(pk=opening.hall.pk)
    assert current.record_signature and current.record_pdf
