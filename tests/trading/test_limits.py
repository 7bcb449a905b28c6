"""Every free text and count a user can grow in trading is bounded by the service (issue 7):
the refusal names the limit, in Chinese and English, and nothing is kept."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.tools import nothing_changes
from tests.trading.conftest import section_fields, upload
from trading import documents, objections, rules, services
from trading.forms import AnswerForm, ClarificationForm, ObjectionForm
from trading.models import (
    Clarification,
    DocumentObjection,
    Project,
    Section,
    SectionStatus,
    TenderDocument,
)

pytestmark = pytest.mark.django_db


def refused(call: object, *, code: str, limit: int) -> DomainError:
    with (
        nothing_changes(Project, Section, TenderDocument, Clarification, DocumentObjection),
        pytest.raises(DomainError) as caught,
    ):
        call()  # type: ignore[operator]
    assert caught.value.code == code
    assert f"{limit:,}" in caught.value.message and " / " in caught.value.message
    return caught.value


def test_an_objection_to_the_documents_is_refused_beyond_its_length(
    published: Section, owner: Person
) -> None:
    text = "异" * (rules.OBJECTION_TEXT_MAX_CHARS + 1)
    with time_machine.travel(published.documents_from, tick=False):
        error = refused(
            lambda: objections.objection_raise(section=published, actor=owner, text=text),
            code="too_long",
            limit=rules.OBJECTION_TEXT_MAX_CHARS,
        )
    assert error.field == "text" and "不得超过" in error.message
    assert not DocumentObjection.objects.exists()
    assert not LedgerEntry.objects.filter(action="trading.objection.raised").exists()


def test_a_bidder_raises_only_so_many_objections_to_the_documents(
    published: Section, owner: Person
) -> None:
    with time_machine.travel(published.documents_from, tick=False):
        for number in range(rules.OBJECTIONS_PER_BIDDER_MAX):
            objections.objection_raise(section=published, actor=owner, text=f"第{number}条")
        refused(
            lambda: objections.objection_raise(section=published, actor=owner, text="再一条"),
            code="limit_reached",
            limit=rules.OBJECTIONS_PER_BIDDER_MAX,
        )
    assert DocumentObjection.objects.count() == rules.OBJECTIONS_PER_BIDDER_MAX


def test_an_answer_to_an_objection_is_bounded(
    published: Section, owner: Person, tenderee: Person
) -> None:
    with time_machine.travel(published.documents_from, tick=False):
        objection = objections.objection_raise(section=published, actor=owner, text="工期不合理")
        refused(
            lambda: objections.objection_answer(
                objection=objection,
                actor=tenderee,
                answer="答" * (rules.OBJECTION_ANSWER_MAX_CHARS + 1),
            ),
            code="too_long",
            limit=rules.OBJECTION_ANSWER_MAX_CHARS,
        )
    objection.refresh_from_db()
    assert objection.answered_at is None and objection.answer == ""


def test_a_clarification_is_bounded_in_length_and_in_number(
    bidding: Section, tenderee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused(
        lambda: documents.clarification_issue(
            section=bidding,
            actor=tenderee,
            title="答疑",
            body="澄" * (rules.CLARIFICATION_BODY_MAX_CHARS + 1),
        ),
        code="too_long",
        limit=rules.CLARIFICATION_BODY_MAX_CHARS,
    )
    refused(
        lambda: documents.clarification_issue(
            section=bidding, actor=tenderee, title="题" * (rules.NAME_MAX_CHARS + 1), body="x"
        ),
        code="too_long",
        limit=rules.NAME_MAX_CHARS,
    )
    assert not Clarification.objects.exists()
    monkeypatch.setattr(documents, "CLARIFICATIONS_PER_SECTION_MAX", 2)
    for number in range(2):
        documents.clarification_issue(
            section=bidding, actor=tenderee, title=f"答疑{number}", body="x"
        )
    deadline = Section.objects.get(pk=bidding.pk).bid_deadline
    refused(
        lambda: documents.clarification_issue(
            section=bidding, actor=tenderee, title="答疑3", body="x"
        ),
        code="limit_reached",
        limit=2,
    )
    assert Clarification.objects.count() == 2
    assert Section.objects.get(pk=bidding.pk).bid_deadline == deadline


def test_tender_documents_are_bounded_in_size_and_in_versions(
    project: Project, tenderee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = services.section_create(project=project, actor=tenderee, **section_fields())
    monkeypatch.setattr(documents, "DOCUMENT_MAX_BYTES", 1024 * 1024)
    big = upload(content=b"%PDF" + b"x" * (1024 * 1024))
    error = refused(
        lambda: documents.document_issue(
            section=draft, actor=tenderee, title="招标文件", upload=big
        ),
        code="too_long",
        limit=1,
    )
    assert "MB" in error.message
    monkeypatch.setattr(documents, "DOCUMENT_VERSIONS_PER_SECTION_MAX", 2)
    for _ in range(2):
        documents.document_issue(section=draft, actor=tenderee, title="招标文件", upload=upload())
    refused(
        lambda: documents.document_issue(
            section=draft, actor=tenderee, title="招标文件", upload=upload()
        ),
        code="limit_reached",
        limit=2,
    )
    assert TenderDocument.objects.filter(section=draft).count() == 2


def test_section_and_project_texts_are_bounded(
    project: Project, tenderee: Person, draft: Section
) -> None:
    refused(
        lambda: services.section_create(
            project=project,
            actor=tenderee,
            **section_fields(evaluation_criteria="评" * (rules.EVALUATION_CRITERIA_MAX_CHARS + 1)),
        ),
        code="too_long",
        limit=rules.EVALUATION_CRITERIA_MAX_CHARS,
    )
    refused(
        lambda: services.section_create(
            project=project, actor=tenderee, **section_fields(name="段" * 201)
        ),
        code="too_long",
        limit=rules.NAME_MAX_CHARS,
    )
    refused(
        lambda: services.project_create(
            actor=tenderee,
            code="GGZY-2026-002",
            name="项" * 201,
            centre=project.centre,
            regulator=project.regulator,
        ),
        code="too_long",
        limit=rules.NAME_MAX_CHARS,
    )
    refused(
        lambda: services.section_cancel(
            section=draft, actor=tenderee, reason="因" * (rules.REASON_MAX_CHARS + 1)
        ),
        code="too_long",
        limit=rules.REASON_MAX_CHARS,
    )
    assert Section.objects.get(pk=draft.pk).status == SectionStatus.DRAFT
    assert project.sections.count() == 1 and Project.objects.count() == 1


def test_the_forms_carry_the_same_limits() -> None:
    assert not ObjectionForm({"text": "异" * (rules.OBJECTION_TEXT_MAX_CHARS + 1)}).is_valid()
    assert ObjectionForm({"text": "异" * rules.OBJECTION_TEXT_MAX_CHARS}).is_valid()
    assert not AnswerForm({"answer": "答" * (rules.OBJECTION_ANSWER_MAX_CHARS + 1)}).is_valid()
    body = "澄" * (rules.CLARIFICATION_BODY_MAX_CHARS + 1)
    assert not ClarificationForm({"title": "答疑", "body": body}).is_valid()
