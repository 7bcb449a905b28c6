"""Before the deadline nobody but the bidder's own organisation learns anything about a bid:
not its existence, count, size or order [E21, E27]. Every page and API answer, for every
role, is the same whether one or three companies have bid and another is uploading."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from deposits import collection
from deposits.bank import StatementLine
from deposits.matching import record_line
from ggzy import clock
from supervision import ledger
from tests.bidding.conftest import Bidder, create_upload, make_bidder
from tests.security.conftest import MakeWorld
from tests.security.deposits_world import FOREIGN
from tests.security.objects import kwargs_for
from tests.security.requests import Caller, path_of
from tests.security.routes import http_routes
from tests.security.world import ROLES, submit_bid
from trading.models import Section

pytestmark = pytest.mark.django_db

VOLATILE = [
    re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"'),
    re.compile(rb"csrftoken=[^;\s]+"),
    re.compile(rb'nonce="[^"]+"'),
    re.compile(rb'"X-CSRFTOKEN"\] = "[^"]+"'),
    # The ledger admin's row ids: a keyed permutation of the sequence (supervision/admin.py),
    # unreadable without the key; which row has which id says nothing about hidden ones.
    re.compile(rb"(?<=/admin/supervision/ledgerentry/)[0-9a-f]{32}"),
    re.compile(rb"(?<=/admin/supervision/ledgercheckpoint/)[0-9a-f]{32}"),
    # The portal's links to single entries: the same keyed permutation (opaque_ids.py).
    re.compile(rb"(?<=\?entry=)[0-9a-f]{32}"),
]


def normalised(body: bytes) -> bytes:
    for pattern in VOLATILE:
        body = pattern.sub(b"<volatile>", body)
    return body


def something_visible_happens() -> None:
    """A public entry after the hidden ones: its place in the ledger must not count them."""
    ledger.append("trading.section.viewed", actor=ledger.SYSTEM, data={"note": "visible"})
    ledger.checkpoint()  # a checkpoint's place must not count the hidden entries either


def a_fourth_company() -> Bidder:
    """A bidder with a registered basic account (public facts, before both answers)."""
    fourth = make_bidder("第四家建设有限公司")
    collection.basic_account_register(
        organisation=fourth.organisation,
        number="6222000011110004",
        name=fourth.organisation.name,
        bank="示范银行",
        actor=fourth.person,
    )
    return fourth


def pays_a_deposit(section: Section, fourth: Bidder) -> None:
    """Paying tells that one means to bid: nobody else may learn it [E21] — not from a
    page, a report, an admin list, nor from the alert it adds evidence to (one payer
    account for two bidders [R40])."""
    sub = collection.sub_account_for(
        section=section, bidder=fourth.organisation, actor=fourth.person
    )
    for reference, payer in (("X-PAID", "6222000011110004"), ("X-SHARED", FOREIGN)):
        record_line(
            StatementLine(
                reference=reference,
                direction="credit",
                account=sub.number,
                counterparty_account=payer,
                counterparty_name=fourth.organisation.name,
                amount=Decimal("800000.00"),
                booked_at=clock.now(),
            ),
            source="feed",
        )


def answers(callers: dict[str, Caller], world: Any) -> dict[tuple[str, str], tuple[int, bytes]]:
    seen = {}
    for route in http_routes():
        if route.methods is not None and "GET" not in route.methods:
            continue
        path = path_of(route, kwargs_for(route.key, route.pattern, world))
        for role, caller in callers.items():
            response = caller.send("GET", path)
            streamed = response.streaming
            body = b"".join(response.streaming_content) if streamed else response.content
            seen[(path, role)] = (response.status_code, normalised(body))
    return seen


@pytest.mark.slow
def test_no_answer_depends_on_how_many_others_have_bid(
    world_at: MakeWorld, section: Section, bidders: list[Bidder], tmp_path: Path
) -> None:
    world = world_at("before", bidding=1)
    callers = {role: Caller(world.people[role]) for role in ROLES}
    fourth = a_fourth_company()
    with transaction.atomic():
        something_visible_happens()
        alone = answers(callers, world)
        transaction.set_rollback(True)
    with transaction.atomic():
        for index, bidder in enumerate(bidders[1:], 1):
            submit_bid(section, bidder, tmp_path, index)
        other = world.people["other_bidder"]
        assert other is not None and other.organisation is not None
        started = create_upload(
            Bidder(other.organisation, other, bidders[0].key).client(),
            section,
            b"x" * 4096,
            key="key-in-flight",
        )
        assert started.status_code == 201
        pays_a_deposit(section, fourth)
        something_visible_happens()
        crowded = answers(callers, world)
        transaction.set_rollback(True)
    differ = sorted(
        f"GET {path} as {role}"
        for (path, role) in alone
        if alone[path, role] != crowded[path, role]
    )
    assert differ == [], "\n".join(differ)
