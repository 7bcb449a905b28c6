"""The supervising department suspends a section while a complaint is open [R62]: trading
refuses every move but cancellation, the chronograph holds the section's time events, the
hall's host cannot move on; resuming lets it all go on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import Role
from ggzy.errors import DomainError
from realtime import stages
from realtime.models import HallStage
from supervision.complaints import handling
from supervision.complaints.models import Outcome, StepKind
from supervision.models import LedgerEntry
from tests.bidding.conftest import bidders, section  # noqa: F401
from tests.factories import PersonFactory
from tests.realtime.conftest import Opening, eager_celery, opening  # noqa: F401
from tests.supervision.complaints.conftest import Go, Parties, beijing, file_other
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading import chronograph, services, transitions
from trading.models import SectionStatus

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_suspended_section_refuses_every_move_but_cancellation(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    services.section_suspend(section=parties.section, actor=parties.regulator, reason="投诉TS1")
    suspended = parties.section
    suspended.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        transitions.apply(suspended, SectionStatus.OPENING, actor=parties.regulator)
    assert refused.value.code == "suspended" and "投诉TS1" in refused.value.message
    services.section_cancel(section=suspended, actor=parties.tenderee, reason="项目取消")
    suspended.refresh_from_db()
    assert suspended.status == SectionStatus.CANCELLED


def test_the_chronograph_holds_a_suspended_sections_deadline_until_resumed(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 10, 15))
    services.section_suspend(section=parties.section, actor=parties.regulator, reason="投诉")
    parties.section.refresh_from_db()
    assert parties.section.next_check is None
    go(beijing(2026, 10, 20, 11))  # past the deadline
    assert chronograph.apply_time_events(parties.section.pk) == []
    assert chronograph.due_section_ids() == []
    parties.section.refresh_from_db()
    assert parties.section.status == SectionStatus.BIDDING
    services.section_resume(section=parties.section, actor=parties.regulator)
    assert chronograph.apply_time_events(parties.section.pk) == ["submissions_closed"]
    parties.section.refresh_from_db()
    assert parties.section.status == SectionStatus.FAILED  # no bids in this world [R44]


def test_only_the_projects_department_suspends_and_only_once(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 10))
    for person in (parties.other_regulator, parties.tenderee, parties.clerk):
        with pytest.raises(DomainError) as refused:
            services.section_suspend(section=parties.section, actor=person, reason="x")
        assert refused.value.code == "forbidden"
    services.section_suspend(section=parties.section, actor=parties.regulator, reason="投诉")
    with pytest.raises(DomainError) as twice:
        services.section_suspend(section=parties.section, actor=parties.regulator, reason="再次")
    assert twice.value.code == "conflict"
    assert LedgerEntry.objects.filter(action="trading.section.suspended").count() == 1


def test_a_complaint_suspends_its_section_and_its_decision_resumes_it(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 10))
    complaint = handling.complaint_accept(
        complaint=file_other(parties, D(2026, 9, 10)), actor=parties.regulator
    )
    handling.section_suspend(complaint=complaint, actor=parties.regulator)
    parties.section.refresh_from_db()
    assert complaint.number in parties.section.suspended_reason
    page = Client().get(f"/sections/{parties.section.code}/")
    assert complaint.number.encode() in page.content
    assert b'id="suspended"' in page.content
    handling.complaint_decide(
        complaint=complaint, actor=parties.regulator, outcome=Outcome.DISMISSED, text="驳回"
    )
    parties.section.refresh_from_db()
    assert parties.section.suspended_at is None
    kinds = list(complaint.steps.values_list("kind", flat=True))
    assert kinds[-3:] == [StepKind.SECTION_SUSPENDED, StepKind.DECIDED, StepKind.SECTION_RESUMED]
    assert b'id="suspended"' not in Client().get(f"/sections/{parties.section.code}/").content


def test_a_withdrawn_complaints_suspension_stays_until_the_department_resumes(
    parties: Parties, go: Go
) -> None:
    from supervision.complaints import filing

    go(beijing(2026, 9, 10))
    complaint = file_other(parties, D(2026, 9, 10))
    handling.section_suspend(complaint=complaint, actor=parties.regulator)
    filing.complaint_withdraw(complaint=complaint, actor=parties.complainant, reason="撤回")
    parties.section.refresh_from_db()
    assert parties.section.suspended_at is not None
    handling.section_resume(complaint=complaint, actor=parties.regulator, note="投诉已撤回")
    parties.section.refresh_from_db()
    assert parties.section.suspended_at is None


def test_the_hosts_next_is_refused_while_the_section_is_suspended(
    opening: Opening,  # noqa: F811
) -> None:
    regulator = PersonFactory.create(organisation=opening.holders.regulator, role=Role.REGULATOR)
    services.section_suspend(
        section=opening.section, actor=regulator, reason="投诉TS2026000001处理期间暂停"
    )
    with pytest.raises(DomainError) as refused:
        stages.enter_next(hall=opening.hall, person=opening.host)
    assert refused.value.code == "suspended"
    assert "TS2026000001" in refused.value.message
    assert "wait for the department's decision" in refused.value.message
    opening.hall.refresh_from_db()
    assert opening.hall.stage == HallStage.SIGN_IN
    services.section_resume(section=opening.section, actor=regulator)
    stages.enter_next(hall=opening.hall, person=opening.host)
    opening.hall.refresh_from_db()
    assert opening.hall.stage == HallStage.BIDDERS
