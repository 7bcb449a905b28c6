"""Before the deadline the open data says nothing about bids [E21, E27, L22]: no release is
made by a bid, and every public answer — the feed, each release, the record, the page — is
byte-identical whether nobody, one company or three have bid."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from supervision.opendata import mapping
from supervision.opendata.models import FeedCounter, Release
from tests.bidding.conftest import Bidder, seal_bid, upload_whole
from tests.security.test_nothing_before_the_deadline import normalised
from trading.models import Section

pytestmark = pytest.mark.django_db


def public_answers(section: Section) -> dict[str, bytes]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    paths = [
        reverse("opendata:index"),
        reverse("opendata:releases"),
        reverse("opendata:releases") + "?limit=1",
        reverse("opendata:record", kwargs={"ocid": mapping.ocid(section)}),
    ] + [
        reverse("opendata:release", kwargs={"release_id": release_id})
        for release_id in Release.objects.values_list("release_id", flat=True)
    ]
    answers = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        # A page's nonce and CSRF token change on every request, and so does the request id
        # the logs correlate by (random, drawn per request); nothing else may.
        headers = sorted(
            (name, value) for name, value in response.items() if name != "X-Request-ID"
        )
        answers[path] = normalised(response.content + str(headers).encode())
    return answers


def bid(section: Section, bidder: Bidder, tmp_path: Path) -> None:
    response = upload_whole(bidder.client(), section, seal_bid(section, bidder, tmp_path))
    assert response.status_code == 204, response.content


def test_the_feed_before_the_deadline_is_the_same_with_none_one_or_three_bids(
    section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    nobody = public_answers(section)
    counter = FeedCounter.objects.get().value
    bid(section, bidders[0], tmp_path)
    one = public_answers(section)
    for bidder in bidders[1:]:
        bid(section, bidder, tmp_path)
    three = public_answers(section)

    assert nobody == one == three
    assert FeedCounter.objects.get().value == counter  # not even the change order moved
    assert list(Release.objects.values_list("tags", flat=True)) == [["tender"], ["tenderAmendment"]]
