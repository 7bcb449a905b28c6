"""What the open-data tests share: reading releases back, validating every document, and
the rules of what may be public at each moment of a section's life (docs/opendata.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.test import Client
from django.urls import reverse

from supervision.opendata import mapping, validation
from supervision.opendata.models import Release
from trading.models import Section

# The moments of a section's life, in order; each release is checked against its own.
BEFORE, OPENING, READ, AWARDED, CONTRACTED = "before", "opening", "read", "awarded", "contracted"


def documents_of(section: Section) -> list[dict[str, Any]]:
    return [
        json.loads(bytes(r.content))
        for r in Release.objects.filter(section=section).order_by("number")
    ]


def valid(document: Any, kind: str) -> Any:
    problems = validation.errors(document, kind)
    assert not problems, problems
    return document


def get_json(client: Client, path: str) -> tuple[bytes, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.content, json.loads(response.content)


def record_of(client: Client, section: Section) -> dict[str, Any]:
    path = reverse("opendata:record", kwargs={"ocid": mapping.ocid(section)})
    _raw, package = get_json(client, path)
    return dict(valid(package, "record-package"))


def _roles(release: dict[str, Any]) -> set[str]:
    return {role for party in release.get("parties", []) for role in party["roles"]}


def assert_may_be_public(
    release: dict[str, Any], moment: str, *, bidders: Iterable[Any], prices: Sequence[int]
) -> None:
    """``release`` says exactly what may be public at ``moment`` and nothing more."""
    valid(release, "release")
    tender = release["tender"]
    raw = json.dumps(release, ensure_ascii=False)
    companies = list(bidders)
    if moment == BEFORE:
        # Nothing about bids or bidders before the deadline [E21, E27]: no count, no name,
        # no code, no bid, no award.
        assert "numberOfTenderers" not in tender and "tenderers" not in tender
        assert not {"bids", "awards", "contracts"} & release.keys()
        assert _roles(release) <= {"buyer", "procuringEntity"}
        for company in companies:
            assert company.organisation.credit_code not in raw
            assert company.organisation.name not in raw
        assert tender["status"] == "active"
        return
    # From the deadline: the tenderers and their number [E29].
    assert tender["numberOfTenderers"] == len(companies)
    assert sorted(t["name"] for t in tender["tenderers"]) == sorted(
        c.organisation.name for c in companies
    )
    if moment == OPENING:
        assert not {"bids", "awards", "contracts"} & release.keys()
        return
    # From the close of the hall: the prices read out [E30, E32].
    read = [detail["value"]["amount"] for detail in release["bids"]["details"]]
    assert read == list(prices)
    if moment == READ:
        assert not {"awards", "contracts"} & release.keys()
        assert tender["status"] == "active"
        return
    (award,) = release["awards"]
    assert award["status"] == "active"
    assert award["suppliers"][0]["name"] == companies[0].organisation.name
    assert award["value"] == {"amount": prices[0], "currency": "CNY"}
    assert "supplier" in {r for p in release["parties"] for r in p["roles"]}
    if moment == AWARDED:
        assert "contracts" not in release
        return
    (contract,) = release["contracts"]
    assert contract["awardID"] == award["id"]
    assert contract["value"] == {"amount": prices[0], "currency": "CNY"}
