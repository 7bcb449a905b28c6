"""The complaints pages: who sees a complaint (access.py), who learns who complained before
the bid deadline [E21], filing through the form, and the department's actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import Person
from supervision.complaints import handling
from supervision.complaints.models import Complaint, ComplaintStatus
from tests.supervision.complaints.conftest import Go, Parties, beijing, file_other

pytestmark = pytest.mark.django_db
D = dt.date
HIDDEN = b"A potential bidder (hidden until the bid deadline)"


def client_for(person: Person) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the assertions read the English strings
    client.force_login(person)
    return client


def test_a_bidder_files_a_complaint_through_the_form(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    response = client_for(parties.complainant).post(
        f"/complaints/new/{parties.section.code}/",
        {"matter": "other", "knew_on": "2026-09-29", "text": "限定品牌", "requests": "改正"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.acceptance_due == D(2026, 10, 10)


def test_the_form_shows_the_objection_first_refusal_on_the_matter(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    response = client_for(parties.complainant).post(
        f"/complaints/new/{parties.section.code}/",
        {"matter": "tender_documents", "knew_on": "2026-09-29", "text": "x", "requests": "y"},
    )
    assert response.status_code == 200
    assert b"Object to the tender documents" in response.content
    assert Complaint.objects.count() == 0


def test_only_companies_open_the_form(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    path = f"/complaints/new/{parties.section.code}/"
    assert client_for(parties.tenderee).get(path).status_code == 403
    assert client_for(parties.complainant).get(path).status_code == 200
    assert client_for(parties.complainant).get("/complaints/new/NO-SUCH/").status_code == 404


def test_before_the_deadline_only_the_department_and_the_complainant_see_who(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 29))
    path = f"/complaints/{complaint.pk}/"
    name = parties.company.name.encode()
    for person in (parties.complainant, parties.regulator):
        body = client_for(person).get(path).content
        assert name in body and HIDDEN not in body
    for person in (parties.tenderee, parties.clerk):
        body = client_for(person).get(path).content
        assert name not in body and HIDDEN in body
        assert name not in client_for(person).get("/complaints/").content
    go(beijing(2026, 10, 20, 10))  # the deadline: bidders are known at the opening
    assert name in client_for(parties.tenderee).get(path).content


def test_nobody_else_finds_a_complaint(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 29))
    path = f"/complaints/{complaint.pk}/"
    for person in (parties.other_bidder, parties.other_regulator, parties.outsider):
        assert client_for(person).get(path).status_code == 404
    assert Client().get(path).status_code == 302  # to the login page
    assert client_for(parties.other_bidder).get("/complaints/987654/").status_code == 404


def test_the_department_accepts_and_a_party_may_not(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 29))
    path = f"/complaints/{complaint.pk}/handle/"
    assert client_for(parties.tenderee).post(path, {"action": "accept"}).status_code == 403
    assert client_for(parties.clerk).post(path, {"action": "accept"}).status_code == 403
    response = client_for(parties.regulator).post(path, {"action": "accept", "note": "受理"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ACCEPTED


def test_a_refused_action_comes_back_with_the_reason(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 29))
    client = client_for(parties.regulator)
    response = client.post(
        f"/complaints/{complaint.pk}/handle/", {"action": "refuse", "note": ""}, follow=True
    )
    assert b"Write the reason" in response.content
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FILED


def test_the_complainant_withdraws_and_adds_statements(parties: Parties, go: Go) -> None:
    go(beijing(2026, 9, 30, 10))
    complaint = file_other(parties, D(2026, 9, 29))
    client = client_for(parties.complainant)
    client.post(f"/complaints/{complaint.pk}/statement/", {"text": "补充证据说明"})
    assert (
        client_for(parties.tenderee)
        .post(f"/complaints/{complaint.pk}/withdraw/", {"reason": "x"})
        .status_code
        == 403
    )
    client.post(f"/complaints/{complaint.pk}/withdraw/", {"reason": "已解决"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.WITHDRAWN
    assert complaint.steps.count() == 3


def test_the_departments_list_shows_the_overdue_complaint_first_in_red(
    parties: Parties, go: Go
) -> None:
    go(beijing(2026, 9, 28, 10))
    late = file_other(parties, D(2026, 9, 28), text="逾期")
    go(beijing(2026, 10, 12, 10))
    fresh = file_other(parties, D(2026, 10, 12), text="新")
    handling.complaint_accept(complaint=fresh, actor=parties.regulator)
    from supervision.complaints import sweep

    sweep.sweep_clocks()
    body = client_for(parties.regulator).get("/complaints/").content.decode()
    assert body.index(late.number) < body.index(fresh.number)
    assert f'<tr data-complaint="{late.pk}" class="overdue">' in body
