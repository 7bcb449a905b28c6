import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Person
from ggzy.errors import DomainError
from supervision import ledger
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


def test_who_objected_stays_hidden_from_the_tenderee_and_the_ledger_until_the_deadline(
    published: Section, owner: Person, tenderee: Person
) -> None:
    """An objection names a company interested in the section; before the deadline nobody
    may learn who means to bid [E21, L22]."""
    with time_machine.travel(published.documents_from, tick=False):
        objections.objection_raise(section=published, actor=owner, text="工期不合理")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(tenderee)
        page = client.get(reverse("trading:manage", args=[published.pk])).content.decode()
        assert owner.organisation is not None
        assert owner.organisation.name not in page
        assert "A potential bidder (hidden until the bid deadline)" in page
        assert not ledger.visible().filter(action="trading.objection.raised").exists()
    with time_machine.travel(published.bid_deadline, tick=False):
        client.force_login(tenderee)  # the session of weeks ago has expired
        page = client.get(reverse("trading:manage", args=[published.pk])).content.decode()
        assert owner.organisation.name in page
        assert ledger.visible().filter(action="trading.objection.raised").exists()
