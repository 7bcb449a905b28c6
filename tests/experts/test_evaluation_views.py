"""The evaluation's pages: a member works past the second factor, staff watch without seeing
marks, files come stamped with the member's name and each download is ledgered, the report
is signed from the page, the bidder answers its clarifications, and progress streams live."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import unquote

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from accounts.models import Person
from accounts.second_factor import confirmed_device, enrol_confirmed
from config.asgi import application
from experts import scoring
from experts.models import EvaluationStatus, Query, Score
from ggzy_core.evaluation import report_message
from supervision.models import LedgerEntry
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.conftest import client_for, pass_second_factor
from tests.experts.evaluation_world import AGREED_POINTS, Committee, committee, elect, score_all
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def state(opening: Opening) -> Committee:  # noqa: F811
    return committee(opening)


def verified(person: Person) -> Client:
    """A browser session of an expert who passed the second factor."""
    if confirmed_device(person) is None:
        enrol_confirmed(person)
    client = client_for(person)
    pass_second_factor(client, person)
    return client


def stream(state: Committee, client: Client) -> WebsocketCommunicator:
    """The evaluation's progress stream, opened with the client's session."""
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return WebsocketCommunicator(
        application,
        f"/ws/evaluations/{state.evaluation.pk}/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
        ],
    )


def page(state: Committee) -> str:
    return reverse("experts:evaluation", kwargs={"pk": state.evaluation.pk})


def act(state: Committee) -> str:
    return reverse("experts:evaluation_act", kwargs={"pk": state.evaluation.pk})


def test_an_expert_must_pass_the_second_factor_before_the_workspace(state: Committee) -> None:
    enrol_confirmed(state.people[0])
    response = client_for(state.people[0]).get(page(state))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second_factor_verify"))


def test_a_member_sees_the_bids_and_scores_them_from_the_page(state: Committee) -> None:
    client = verified(state.people[0])
    response = client.get(page(state))
    assert response.status_code == 200
    text = response.content.decode()
    for bid in state.evaluation.bids.select_related("organisation"):
        assert bid.organisation.name in text
    bid = state.evaluation.bids.get(number=2)
    client.post(
        act(state),
        {
            "action": "score",
            "bid": bid.pk,
            "criterion-0": "33",
            "criterion-1": "22",
            "criterion-2": "11",
        },
    )
    assert sorted(
        Score.objects.filter(member__person=state.people[0], bid=bid).values_list(
            "value", flat=True
        )
    ) == [11, 22, 33]


def test_the_page_names_each_file_as_it_is_in_the_bid_and_each_sheet_item_by_its_label(
    state: Committee,
) -> None:
    bid = state.evaluation.bids.get(number=1)
    bid.files = [f"opened/GGZY-2026-001-01/{bid.pk}/技术标/施工组织设计.pdf"]
    bid.sheet = {"price": "40850000.00", "duration_days": 540, "quality": "合格"}
    bid.save(update_fields=["files", "sheet"])
    text = verified(state.people[0]).get(page(state)).content.decode()
    assert ">技术标/施工组织设计.pdf</a>" in text
    assert str(bid.pk) + "技术标" not in text
    assert "工期（日历天）: 540" in text and "质量: 合格" in text
    assert "duration_days" not in text


def test_a_refused_score_is_said_on_the_page_in_both_languages(state: Committee) -> None:
    client = verified(state.people[0])
    bid = state.evaluation.bids.get(number=1)
    response = client.post(
        act(state),
        {
            "action": "score",
            "bid": bid.pk,
            "criterion-0": "41",
            "criterion-1": "1",
            "criterion-2": "1",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "须在 0 至 40.00 之间" in text and "between 0 and 40.00" in text
    assert not Score.objects.filter(member__person=state.people[0]).exists()


def test_staff_watch_the_progress_but_not_the_marks(state: Committee, opening: Opening) -> None:  # noqa: F811
    scoring.score_set(
        evaluation=state.evaluation,
        actor=state.people[1],
        bid=state.evaluation.bids.get(number=1),
        values={0: "37.25", 1: "1", 2: "1"},
    )
    response = client_for(opening.host).get(page(state))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="progress"' in text and "3 / 9" in text  # three of nine points entered
    assert "37.25" not in text  # nobody's marks before the conclusion
    assert "score-form" not in text


def test_a_downloaded_pdf_carries_the_members_name_and_the_download_is_ledgered(
    state: Committee,
) -> None:
    bid = state.evaluation.bids.get(number=1)
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "technical proposal")
    canvas.save()
    name = default_storage.save(
        f"opened/test/{bid.pk}/proposal.pdf", ContentFile(buffer.getvalue())
    )
    bid.files = [*bid.files, name]
    bid.save(update_fields=["files"])
    member = state.member(0)
    url = reverse(
        "experts:bid_file",
        kwargs={"pk": state.evaluation.pk, "number": 1, "index": len(bid.files) - 1},
    )
    response = verified(state.people[0]).get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    page_text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert "technical proposal" in page_text
    assert state.evaluation.section.code in page_text and member.name in page_text
    viewed = LedgerEntry.objects.get(action="experts.evaluation.file_viewed")
    assert viewed.data == {"member": 0, "bid": 1, "file": len(bid.files) - 1}


def test_another_file_carries_the_name_in_its_file_name(state: Committee) -> None:
    url = reverse("experts:bid_file", kwargs={"pk": state.evaluation.pk, "number": 1, "index": 0})
    response = verified(state.people[2]).get(url)
    assert response.status_code == 200
    assert f"-{state.member(2).name}" in unquote(response["Content-Disposition"])


def test_a_member_signs_the_report_from_the_page(state: Committee) -> None:
    score_all(state, AGREED_POINTS)
    elect(state)
    client = verified(state.people[0])
    client.post(act(state), {"action": "conclude"})
    state.evaluation.refresh_from_db()
    assert state.evaluation.status == EvaluationStatus.SIGNING
    report = client.get(reverse("experts:report", kwargs={"pk": state.evaluation.pk}))
    assert report["Ggzy-Report-SM3"] == state.evaluation.report_sm3
    assert json.loads(report.content)["candidates"] == [1, 2, 3]
    dissent = "第一名报价明显低于成本"
    message = report_message(state.evaluation.report_sm3, agrees=False, dissent=dissent)
    client.post(
        act(state),
        {
            "action": "sign",
            "agrees": "no",
            "dissent": dissent,
            "signature": state.keys[0].sign(message).hex(),
        },
    )
    member = state.member(0)
    assert member.signed_at is not None and member.agrees is False and member.dissent == dissent


def test_a_bidder_answers_its_own_clarification_on_its_page(
    state: Committee,
    opening: Opening,  # noqa: F811
) -> None:
    query = scoring.query_ask(
        evaluation=state.evaluation,
        actor=state.people[0],
        bid=state.evaluation.bids.get(number=1),
        question="请说明项目经理的在岗证明",
    )
    own = client_for(opening.bidders[0].person)
    assert "项目经理的在岗证明" in own.get(reverse("experts:my_queries")).content.decode()
    other = client_for(opening.bidders[1].person)
    assert "项目经理的在岗证明" not in other.get(reverse("experts:my_queries")).content.decode()
    answer = reverse("experts:query_answer", kwargs={"pk": query.pk})
    assert other.post(answer, {"answer": "冒充"}).status_code == 404
    own.post(answer, {"answer": "见附件三"})
    assert Query.objects.get(pk=query.pk).answer == "见附件三"


def test_progress_streams_to_staff_as_it_changes(state: Committee, opening: Opening) -> None:  # noqa: F811
    client = client_for(opening.host)
    first_bid = state.evaluation.bids.get(number=1).pk

    async def watch() -> list[dict[str, Any]]:
        communicator = stream(state, client)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        await database_sync_to_async(scoring.score_set)(
            evaluation=state.evaluation,
            actor=state.people[3],
            bid=first_bid,
            values={0: "1"},
        )
        second = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return [first, second]

    first, second = async_to_sync(watch)()
    assert first["type"] == "progress" and second["sequence"] == first["sequence"] + 1
    rows = {row["order"]: row["scored"] for row in second["members"]}
    assert rows[3] == 1 and rows[0] == 0


def test_an_expert_who_has_not_passed_the_second_factor_does_not_get_the_stream(
    state: Committee,
) -> None:
    client = client_for(state.people[0])

    async def attempt() -> tuple[bool, int | None]:
        communicator = stream(state, client)
        connected, code = await communicator.connect(timeout=5)
        return connected, code

    assert async_to_sync(attempt)() == (False, 4404)
