import datetime as dt

import pytest
import time_machine

from accounts.models import Person
from ggzy.errors import DomainError
from supervision.models import LedgerEntry
from tests.tools import nothing_changes
from trading import objections
from trading.models import DocumentObjection, Notification, Section

pytestmark = pytest.mark.django_db


def test_a_bidder_objects_until_ten_days_before_the_deadline(
    published: Section, owner: Person
) -> None:
    cutoff = published.bid_deadline - dt.timedelta(days=10)
    with time_machine.travel(cutoff, tick=False):
        objection = objections.objection_raise(
            section=published, actor=owner, text="资格条件排斥潜在投标人"
        )
    assert objection.answer_due == cutoff + dt.timedelta(days=3)
    with (
        nothing_changes(DocumentObjection),
        time_machine.travel(cutoff + dt.timedelta(seconds=1), tick=False),
        pytest.raises(DomainError) as caught,
    ):
        objections.objection_raise(section=published, actor=owner, text="too late")
    assert "R22" in caught.value.message


def test_only_bidders_object(published: Section, tenderee: Person) -> None:
    with nothing_changes(DocumentObjection), pytest.raises(DomainError) as caught:
        objections.objection_raise(section=published, actor=tenderee, text="x")
    assert caught.value.code == "forbidden"


def test_an_answer_is_recorded_notified_and_marked_late_after_three_days(
    published: Section, owner: Person, tenderee: Person
) -> None:
    start = published.documents_from
    with time_machine.travel(start, tick=False):
        objection = objections.objection_raise(section=published, actor=owner, text="工期不合理")
    with time_machine.travel(start + dt.timedelta(days=3, seconds=1), tick=False):
        objections.objection_answer(objection=objection, actor=tenderee, answer="工期已调整")
    entry = LedgerEntry.objects.get(action="trading.objection.answered")
    assert entry.data["late"] is True
    assert Notification.objects.get(organisation=owner.organisation).body == "工期已调整"
    with (
        nothing_changes(DocumentObjection, Notification),
        pytest.raises(DomainError, match="answered"),
    ):
        objections.objection_answer(objection=objection, actor=tenderee, answer="again")
