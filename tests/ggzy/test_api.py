import datetime as dt

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Person
from ggzy_core.gm import sm2
from tests.conftest import api_client_for
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_server_time_is_the_servers_clock_and_not_cached(client: Client) -> None:
    moment = dt.datetime(2026, 5, 20, 1, 2, 3, 456000, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        response = client.get("/api/time")
    assert response.status_code == 200
    assert response.json()["epoch_ms"] == int(moment.timestamp() * 1000)
    assert dt.datetime.fromisoformat(response.json()["now"]) == moment
    assert response["Cache-Control"] == "no-store"


def test_a_token_from_a_password_authenticates_the_api(owner: Person) -> None:
    anonymous = APIClient()
    issued = anonymous.post(
        "/api/auth/token", {"username": "owner", "password": TEST_PASSWORD}, format="json"
    )
    assert issued.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    me = client.get("/api/me")
    assert me.status_code == 200
    assert owner.organisation is not None
    assert me.json()["organisation"]["credit_code"] == owner.organisation.credit_code


def test_a_wrong_password_gets_no_token_and_a_bilingual_reason(owner: Person) -> None:
    response = APIClient().post(
        "/api/auth/token", {"username": "owner", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert "密码错误" in response.json()["detail"] and "Wrong" in response.json()["detail"]


def test_the_api_refuses_anonymous_callers() -> None:
    assert APIClient().get("/api/me").status_code == 401


def test_a_key_is_bound_through_the_api_and_listed(owner: Person) -> None:
    public = sm2.generate_private_key().public_key()
    client = api_client_for(owner)
    url = f"/api/organisations/{owner.organisation_id}/keys"
    bound = client.post(url, {"public_key": public.to_pem().decode()}, format="json")
    assert bound.status_code == 201 and bound.json()["fingerprint"] == public.fingerprint()
    assert [key["fingerprint"] for key in client.get(url).json()] == [public.fingerprint()]


def test_a_domain_refusal_comes_back_as_json_with_a_code(owner: Person) -> None:
    response = api_client_for(owner).post(
        f"/api/organisations/{owner.organisation_id}/keys", {"public_key": "junk"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_key" and response.json()["field"] == "key"


def test_another_company_cannot_see_the_owners_keys(owner: Person, other_party: Person) -> None:
    response = api_client_for(other_party).get(f"/api/organisations/{owner.organisation_id}/keys")
    assert response.status_code == 404


def test_the_openapi_schema_describes_the_endpoints(client: Client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/time", "/api/auth/token", "/api/me"} <= set(paths)
