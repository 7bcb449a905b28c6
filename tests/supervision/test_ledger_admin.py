"""Issue 7, finding 3: the ledger's reading views reveal nothing that depends on how many
embargoed entries there are — no sequence numbers, gaps, hashes, totals or counts [E21, E27].

The same visible entries are written twice: once with no hidden entry, once with bids
interleaved (each bid leaves embargoed entries between the visible ones). The pages
centre staff and the superuser see must be identical.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from ggzy import clock
from supervision import ledger
from supervision.models import LedgerCheckpoint, LedgerEntry
from tests.bidding.conftest import Bidder, bidders, seal_bid, section, upload_whole  # noqa: F401
from tests.supervision.test_embargo import centre_staff, logged_in, superuser
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

pytestmark = pytest.mark.django_db

ENTRIES = "/admin/supervision/ledgerentry/"
CHECKPOINTS = "/admin/supervision/ledgercheckpoint/"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
OBJECT_URL = re.compile(r"(/admin/supervision/ledger(?:entry|checkpoint)/)([^/\"?]+)(/)")


def normalise(page: str) -> str:
    """CSRF tokens change per session; object ids are opaque (an SM4 permutation of an
    internal number), so they are replaced by their order of appearance on the page."""
    page = CSRF.sub(r"\1-\2", page)
    seen: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        if match.group(2) in ("", "add"):
            return match.group(0)
        label = seen.setdefault(match.group(2), f"<object {len(seen) + 1}>")
        return f"{match.group(1)}{label}{match.group(3)}"

    return OBJECT_URL.sub(number, page)


def write_ledger(bid: Callable[[int], None] | None) -> None:
    """Twelve visible entries a minute apart, a checkpoint after every fourth; ``bid(n)``
    (if given) sends bids in between, which leave embargoed entries only."""
    start = clock.now().replace(microsecond=0)
    for n in range(12):
        with time_machine.travel(start + dt.timedelta(minutes=n), tick=False):
            ledger.append("tests.meeting.held", data={"n": n}, address="203.0.113.5")
        if bid is not None and n in (2, 3, 7):
            with time_machine.travel(start + dt.timedelta(minutes=n, seconds=30), tick=False):
                bid(n)
        if n % 4 == 3:
            with time_machine.travel(start + dt.timedelta(minutes=n, seconds=50), tick=False):
                ledger.checkpoint()


def pages(clients: list[Client]) -> list[str]:
    rendered = []
    for client in clients:
        for url in (ENTRIES, f"{ENTRIES}?q=tests", f"{ENTRIES}?o=1", CHECKPOINTS):
            response = client.get(url)
            assert response.status_code == 200, url
            rendered.append(normalise(response.content.decode()))
        listing = client.get(ENTRIES).content.decode()
        for path in dict.fromkeys(m.group(0) for m in OBJECT_URL.finditer(listing)):
            if path.endswith("/add/"):
                continue
            response = client.get(f"{path}change/")
            assert response.status_code == 200, path
            rendered.append(normalise(response.content.decode()))
        checkpoints = client.get(CHECKPOINTS).content.decode()
        for match in OBJECT_URL.finditer(checkpoints):
            if "ledgercheckpoint" in match.group(1) and match.group(2) != "add":
                response = client.get(f"{match.group(0)}change/")
                assert response.status_code == 200
                rendered.append(normalise(response.content.decode()))
    return rendered


def test_the_reading_views_are_identical_whatever_number_of_bids_is_hidden(
    section: Section,  # noqa: F811
    bidders: list[Bidder],  # noqa: F811
    tmp_path: Path,
) -> None:
    clients = logged_in([centre_staff(), superuser()])
    envelopes = {b.organisation.pk: seal_bid(section, b, tmp_path) for b in bidders}

    senders = {2: bidders[:1], 3: bidders[1:], 7: bidders[:1]}

    def bid(n: int) -> None:
        # The last one is a second bid, refused: its refusal is embargoed as well.
        for index, bidder in enumerate(senders[n]):
            data = envelopes[bidder.organisation.pk]
            upload_whole(bidder.client(), section, data, key=f"key-{n:04d}-{index:04d}")

    before = transaction.savepoint()
    write_ledger(None)
    assert not ledger.visible().filter(action__startswith="bidding.").exists()
    quiet = pages(clients)
    transaction.savepoint_rollback(before)

    write_ledger(bid)
    hidden = LedgerEntry.objects.exclude(pk__in=ledger.visible()).count()
    assert LedgerEntry.objects.filter(action="bidding.bid.received").count() == 3
    assert hidden >= 7  # the bids did leave embargoed entries between the visible ones
    assert LedgerCheckpoint.objects.exists()
    busy = pages(clients)

    assert len(quiet) == len(busy) >= 2 * (4 + 12 + 3)  # lists, entries, checkpoints
    assert quiet[0].count("tests.meeting.held") >= 12
    for calm, loaded in zip(quiet, busy, strict=True):
        assert calm == loaded


def test_an_embargoed_entry_answers_exactly_like_one_that_does_not_exist() -> None:
    from supervision.admin import change_url, opaque_id

    ledger.seal("tests.section:1", until=clock.now() + dt.timedelta(days=1))
    shown = ledger.append("tests.meeting.held")
    hidden = ledger.append("tests.bid.received", embargo="tests.section:1")
    missing = opaque_id(LedgerEntry, hidden.sequence + 1000)
    for client in logged_in([centre_staff(), superuser()], raise_request_exception=False):
        assert client.get(change_url(shown)).status_code == 200
        for suffix in ("change/", "history/", "delete/", ""):
            answers = []
            for object_id in (change_url(hidden).split("/")[-3], missing, "4" * 32, "45"):
                response = client.get(f"{ENTRIES}{object_id}/{suffix}", follow=True)
                # The id the request itself named may be echoed (the 403 page's language
                # form returns to the same path): it tells nothing the asker did not send.
                page = CSRF.sub("", response.content.decode()).replace(object_id, "<id>")
                chain = [
                    (url.replace(object_id, "<id>"), code) for url, code in response.redirect_chain
                ]
                answers.append((response.status_code, chain, page))
            assert all(answer == answers[0] for answer in answers[1:]), suffix
            assert "tests.bid.received" not in answers[0][2]


def test_the_list_cannot_be_filtered_by_sequence_or_hash() -> None:
    entries = [ledger.append("tests.meeting.held", data={"n": n}) for n in range(3)]
    ledger.checkpoint()
    (client,) = logged_in([superuser()], raise_request_exception=False)
    for url in (
        f"{ENTRIES}?sequence=2",
        f"{ENTRIES}?sequence__gt=1",
        f"{ENTRIES}?pk=2",
        f"{ENTRIES}?previous_hash={entries[0].entry_hash}",
        f"{ENTRIES}?entry_hash__startswith={entries[1].entry_hash[:8]}",
        f"{CHECKPOINTS}?sequence__lte=3",
        f"{CHECKPOINTS}?entry_hash={entries[2].entry_hash}",
    ):
        response = client.get(url)
        assert response.status_code == 400, url  # a disallowed lookup, refused
        assert "tests.meeting.held" not in response.content.decode()
    assert (
        "tests.meeting.held" in client.get(f"{ENTRIES}?action=tests.meeting.held").content.decode()
    )
    for url in (ENTRIES, CHECKPOINTS, change_url_of(entries[1])):
        page = client.get(url).content.decode()
        for entry in entries:
            assert entry.entry_hash not in page and entry.previous_hash not in page


def change_url_of(entry: LedgerEntry) -> str:
    from supervision.admin import change_url

    return change_url(entry)
