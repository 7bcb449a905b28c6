"""The public page about the log and the Atom feed of signed tree heads."""

from __future__ import annotations

import pytest

from tests.supervision.transparency.test_api import anyone, grow

pytestmark = pytest.mark.django_db


def test_the_page_and_the_feed_show_the_latest_head() -> None:
    heads = grow(2, per_tick=1)
    page = anyone().get("/ledger/")
    assert page.status_code == 200
    assert heads[-1]["root_hash"] in page.content.decode()
    feed = anyone().get("/ledger/heads.atom")
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert feed.content.decode().count("<entry>") == 2
    assert heads[0]["signature"] in feed.content.decode()


def test_before_any_head_the_page_says_the_first_is_coming() -> None:
    page = anyone().get("/ledger/")
    assert page.status_code == 200
    assert 'id="latest-head"' not in page.content.decode()
