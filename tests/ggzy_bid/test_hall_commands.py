"""ggzy-bid in the opening hall, against a real daphne: unlock, confirm, share."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine

from accounts import services as account_services
from accounts.models import Person
from ggzy_bid.commands.hall import STAGES
from ggzy_core.reading import reading_message
from realtime import api as api_module
from realtime import rescue, stages
from realtime.models import BidOpening, Confirmation, OpeningStatus
from tests import servers
from tests.ggzy_bid.conftest import error_line
from tests.realtime.conftest import Opening, past_the_window
from trading.models import OpeningKeyShare, Section

pytestmark = pytest.mark.django_db(transaction=True)


def ggzy_bid(url: str, person: Person, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    _instance, token = account_services.token_issue(person=person)
    return subprocess.run(
        [sys.executable, "-m", "ggzy_bid.cli", *args],
        cwd=servers.ROOT,
        env={**os.environ, "GGZY_SERVER": url, "GGZY_TOKEN": token, "XDG_CONFIG_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def key_file(tmp_path: Path, name: str, key: object) -> str:
    path = tmp_path / f"{name}.pem"
    path.write_bytes(key.to_pem())  # type: ignore[attr-defined]
    return str(path)


def to_decryption(state: Opening) -> None:
    stages.enter_next(hall=state.hall, person=state.host)
    stages.enter_next(hall=state.hall, person=state.host)


def test_a_bidder_unlocks_its_bid_with_its_own_key(opening: Opening, tmp_path: Path) -> None:
    to_decryption(opening)
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(opening.files[0])
    bidder = opening.bidders[0]
    with servers.daphne(tmp_path) as daphne:
        wrong = ggzy_bid(
            daphne.url,
            bidder.person,
            tmp_path,
            "unlock",
            str(bid_file),
            "--section",
            opening.section.code,
            "--key",
            key_file(tmp_path, "other", opening.bidders[1].key),
        )
        done = ggzy_bid(
            daphne.url,
            bidder.person,
            tmp_path,
            "unlock",
            str(bid_file),
            "--section",
            opening.section.code,
            "--key",
            key_file(tmp_path, "mine", bidder.key),
        )
    assert wrong.returncode == 2 and "recipient" in wrong.stderr.lower()
    assert done.returncode == 0, done.stderr
    assert BidOpening.objects.get(bid=opening.bids[0]).status == OpeningStatus.DECRYPTING


def test_a_bidder_confirms_the_reading_it_checked(opening: Opening, tmp_path: Path) -> None:
    to_decryption(opening)
    with past_the_window(opening):
        stages.enter_next(hall=opening.hall, person=opening.host)  # reading
        stages.enter_next(hall=opening.hall, person=opening.host)  # confirmation
    bidder = opening.bidders[1]
    with servers.daphne(tmp_path) as daphne:
        result = ggzy_bid(
            daphne.url,
            bidder.person,
            tmp_path,
            "confirm",
            "--section",
            opening.section.code,
            "--key",
            key_file(tmp_path, "mine", bidder.key),
        )
    assert result.returncode == 0, result.stderr
    answer = Confirmation.objects.get(organisation=bidder.organisation)
    opening.hall.refresh_from_db()
    assert answer.decision == "confirm"
    assert bidder.key.public_key().verify(
        reading_message(opening.hall.reading_sm3), bytes(answer.signature)
    )


def test_two_holders_rescue_a_failed_bid_with_their_shares(
    opening: Opening, tmp_path: Path
) -> None:
    to_decryption(opening)
    BidOpening.objects.filter(bid=opening.bids[2]).update(status=OpeningStatus.FAILED)
    # daphne runs on the real clock, which must be past the deadline for any share to be
    # released: move the deadline a minute before the real now (this process stands later).
    real_now = dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=dt.UTC)
    Section.objects.filter(pk=opening.section.pk).update(
        bid_deadline=real_now - dt.timedelta(minutes=1)
    )
    results = []
    # The regulator (index 2) first, then the tenderee (index 3).
    shares = OpeningKeyShare.objects.filter(section=opening.section).order_by("index")[1:]
    with servers.daphne(tmp_path) as daphne:
        regulator = Person.objects.create(username="regulator", organisation=shares[0].holder)
        early = ggzy_bid(
            daphne.url,
            regulator,
            tmp_path,
            "share",
            "--section",
            opening.section.code,
            "--key",
            key_file(tmp_path, "regulator", opening.holders.keys[shares[0].holder.credit_code]),
        )
        rescue.start_rescue(hall=opening.hall, person=opening.host)
        for share in shares:
            holder = Person.objects.create(
                username=f"holder-{share.index}", organisation=share.holder
            )
            private = opening.holders.keys[share.holder.credit_code]
            results.append(
                ggzy_bid(
                    daphne.url,
                    holder,
                    tmp_path,
                    "share",
                    "--section",
                    opening.section.code,
                    "--key",
                    key_file(tmp_path, f"holder{share.index}", private),
                )
            )
    assert early.returncode == 2
    assert "主持人尚未发起补救" in early.stderr and "has not started a rescue" in early.stderr
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert "rescued: 0" in results[0].stdout and "rescued: 1" in results[1].stdout
    rescued = BidOpening.objects.get(bid=opening.bids[2])
    assert rescued.key_source == "opening_key" and rescued.status == OpeningStatus.DECRYPTING


def test_unlock_before_the_decryption_stage_names_the_stage_not_an_http_status(
    opening: Opening, tmp_path: Path, tool: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(opening.files[0])
    bidder = opening.bidders[0]
    stage = opening.hall.stage
    zh, en = STAGES[stage]
    args = ["unlock", str(bid_file), "--section", opening.section.code]
    key = ["--key", key_file(tmp_path, "bidder", bidder.key)]

    assert tool(bidder, *args, *key) == 2

    line = error_line(capsys)
    assert f"大厅当前阶段：{zh}" in line and f"hall stage: {en}" in line
    assert "HTTP" not in line and f" {stage} " not in line
    assert BidOpening.objects.get(bid=opening.bids[0]).status == OpeningStatus.PENDING


def test_confirm_during_decryption_says_the_stage_not_that_the_reading_is_wrong(
    opening: Opening, tmp_path: Path, tool: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    to_decryption(opening)
    bidder = opening.bidders[0]
    key = key_file(tmp_path, "bidder", bidder.key)

    assert tool(bidder, "confirm", "--section", opening.section.code, "--key", key) == 2

    line = error_line(capsys)
    assert "现在不能确认：" in line and "you cannot confirm now: " in line
    assert "解密" in line and "decrypt" in line
    assert "does not match" not in line


def test_unlock_prints_the_platforms_words_for_the_accepted_key(
    opening: Opening, tmp_path: Path, tool: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    to_decryption(opening)
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(opening.files[0])
    bidder = opening.bidders[0]
    args = ["unlock", str(bid_file), "--section", opening.section.code]
    args += ["--key", key_file(tmp_path, "bidder", bidder.key)]

    assert tool(bidder, *args) == 0

    printed = capsys.readouterr().out
    assert printed == f"{api_module._ACCEPTED}\n"
    assert OpeningStatus.DECRYPTING.value not in printed.split()


def test_the_tool_says_the_stage_and_that_a_repeated_unlock_is_done(
    opening: Opening, tmp_path: Path
) -> None:
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(opening.files[0])
    bidder = opening.bidders[0]
    key = key_file(tmp_path, "mine", bidder.key)
    unlock = ("unlock", str(bid_file), "--section", opening.section.code, "--key", key)
    with servers.daphne(tmp_path) as daphne:
        early = ggzy_bid(daphne.url, bidder.person, tmp_path, *unlock)
        confirm = ggzy_bid(
            daphne.url, bidder.person, tmp_path, "confirm", "--section", opening.section.code,
            "--key", key,
        )  # fmt: skip
        to_decryption(opening)
        first = ggzy_bid(daphne.url, bidder.person, tmp_path, *unlock)
        again = ggzy_bid(daphne.url, bidder.person, tmp_path, *unlock)
    assert early.returncode != 0
    assert "sign-in" in early.stderr and "opens the decryption window" in early.stderr
    assert confirm.returncode != 0 and "sign-in" in confirm.stderr
    assert "does not match" not in confirm.stderr
    assert first.returncode == 0 and "being decrypted" in first.stdout, first.stderr
    assert again.returncode == 0 and "nothing more to do" in again.stdout, again.stderr
