"""``ggzy-bid receipt proof``, ``receipt verify --proof``, ``log monitor`` and ``log compare``.

They talk to the platform in-process (a requests stand-in over Django's test client, the
clock travelled), with tree heads produced by the head producer as the beat task would, and
heads a misbehaving platform signs made with the test platform key.
test_transparency_against_a_server.py runs the tool as a bidder runs it, against a real
daphne, with the operator's attacks of tests/supervision/transparency/attacks.py.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import Person
from bidding.models import Bid
from ggzy import clock, signing
from ggzy_bid import cli
from ggzy_bid import server as client_server
from ggzy_bid.commands.transparency import default_proof_path
from ggzy_bid.tree_heads import KEEP_LAST, State
from ggzy_core import tree_head
from ggzy_core.gm import sm2
from supervision import ledger
from supervision.transparency.producer import iso, publish_head
from tests import servers
from tests.bidding.conftest import Bidder, seal_bid
from tests.ggzy_bid.conftest import PLATFORM_URL, Answer, error_line
from trading.models import Section

pytestmark = pytest.mark.django_db


def platform_for(person: Person) -> type:
    """The conftest's stand-in (tests/ggzy_bid/conftest.py), keeping the query string:
    consistency proofs are asked for by size."""
    client = APIClient()
    client.force_authenticate(person)

    class Platform:
        headers: dict[str, str] = {}

        def request(self, method: str, url: str, **kwargs: Any) -> Answer:
            given = kwargs.get("headers") or {}
            headers = {
                f"HTTP_{name.upper().replace('-', '_')}": value
                for name, value in given.items()
                if name.lower() != "content-type"
            }
            body: Any = kwargs.get("data") or b""
            content_type = given.get("Content-Type") or "application/octet-stream"
            if "json" in kwargs:
                body, content_type = json.dumps(kwargs["json"]), "application/json"
            parts = urlsplit(url)
            query = urlencode(kwargs.get("params") or {}) or parts.query
            path = parts.path + (f"?{query}" if query else "")
            response = client.generic(method, path, body, content_type=content_type, **headers)
            # As daphne does: the platform's clock, which the monitor judges freshness by.
            response.headers["Date"] = email.utils.format_datetime(clock.now(), usegmt=True)
            return Answer(response)

    return Platform


@pytest.fixture
def ggzy_bid(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``ggzy_bid(bidder, *args)``: ggzy-bid as ``bidder``, online (in-process platform)."""

    def run(bidder: Bidder, *args: str) -> int:
        monkeypatch.setattr(client_server.requests, "Session", platform_for(bidder.person))
        return cli.main([*args, "--server", PLATFORM_URL, "--token", "t"])

    return run


@pytest.fixture
def platform_pem(tmp_path: Path) -> str:
    path = tmp_path / "platform.pem"
    path.write_bytes(signing.platform_public_key().to_pem())
    return str(path)


@pytest.fixture
def received(section: Section, bidders: list[Bidder], tmp_path: Path, ggzy_bid: Any) -> Path:
    """The first bidder's bid, submitted; its receipt's path."""
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(seal_bid(section, bidders[0], tmp_path))
    assert ggzy_bid(bidders[0], "submit", str(bid_file), "--section", section.code) == 0
    return tmp_path / "bid.gbid.receipt.json"


def after_the_deadline(section: Section) -> time_machine.travel:
    return time_machine.travel(section.bid_deadline + dt.timedelta(seconds=1), tick=False)


def signed_head(*, size: int, root: bytes, at: dt.datetime | None = None) -> dict[str, Any]:
    """A head the platform's key signed: what a misbehaving platform shows someone."""
    return tree_head.sign_tree_head(
        tree_size=size,
        root_hash=root,
        timestamp=iso(at or clock.now()),
        key=signing.platform_private_key(),
    )


def state_with(tmp_path: Path, *heads: dict[str, Any]) -> str:
    state = State.start(signing.platform_public_key(), PLATFORM_URL)
    for head in heads:
        state.pin(head)
    path = tmp_path / "pins.json"
    path.write_text(json.dumps(state.document()))
    return str(path)


def latest_head_json() -> dict[str, Any]:
    answer = APIClient().get("/api/ledger/heads/latest")
    assert answer.status_code == 200
    return dict(answer.json())


def verify(receipt: Path, platform_pem: str, *more: str) -> int:
    return cli.main(["receipt", "verify", str(receipt), "--platform-key", platform_pem, *more])


# --- receipt proof and receipt verify --------------------------------------------------------


def test_receipt_proof_before_the_deadline_says_when_to_run_it_again_and_exits_3(
    section: Section,
    bidders: list[Bidder],
    received: Path,
    ggzy_bid: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()  # a head at every tick: the bid's entry is not in it before the deadline
    capsys.readouterr()

    assert ggzy_bid(bidders[0], "receipt", "proof", str(received)) == 3

    line = error_line(capsys)
    assert "投标截止时间" in line and "请届时再试" in line
    assert "enters the public log with the first tree head after the bid deadline" in line
    assert not default_proof_path(str(received)).exists()


def test_a_bidder_saves_its_proof_after_the_deadline_and_it_verifies_offline(
    section: Section,
    bidders: list[Bidder],
    received: Path,
    ggzy_bid: Any,
    platform_pem: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with after_the_deadline(section):
        publish_head()
        assert ggzy_bid(bidders[0], "receipt", "proof", str(received)) == 0
    saved = received.with_name("bid.gbid.receipt.proof.json")
    assert saved.exists() and f"ledger proof saved: {saved}" in capsys.readouterr().out
    bundle = json.loads(saved.read_text())
    assert bundle["entry"]["data"]["bid"] == str(Bid.objects.get().pk)

    # Offline: the proof beside the receipt is found and checked with the receipt.
    assert verify(received, platform_pem) == 0
    captured = capsys.readouterr()
    assert f"using the ledger proof beside it, {saved}" in captured.err
    assert "OK 回执有效 / receipt valid" in captured.out
    assert "OK 账本证明有效 / ledger proof valid: the entry bidding.bid.received is leaf" in (
        captured.out
    )
    assert "OK 账本记录与回执一致 / the ledger entry matches the receipt" in captured.out


@pytest.fixture
def proof_pair(
    section: Section, bidders: list[Bidder], received: Path, ggzy_bid: Any, tmp_path: Path
) -> tuple[Path, Path, Path]:
    """(receipt, its proof, the proof of another bidder's bid), all after the deadline."""
    other_file = tmp_path / "other.gbid"
    other_file.write_bytes(seal_bid(section, bidders[1], tmp_path, price="46000000.00"))
    assert ggzy_bid(bidders[1], "submit", str(other_file), "--section", section.code) == 0
    other_receipt = tmp_path / "other.gbid.receipt.json"
    with after_the_deadline(section):
        publish_head()
        assert ggzy_bid(bidders[0], "receipt", "proof", str(received)) == 0
        assert ggzy_bid(bidders[1], "receipt", "proof", str(other_receipt)) == 0
    return (
        received,
        default_proof_path(str(received)),
        default_proof_path(str(other_receipt)),
    )


def _tampered(path: Path, change: Any) -> Path:
    document = json.loads(path.read_text())
    change(document)
    out = path.with_name("tampered-" + path.name)
    out.write_text(json.dumps(document))
    return out


def test_it_names_a_proof_whose_entry_was_changed(
    proof_pair: tuple[Path, Path, Path], platform_pem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, proof, _ = proof_pair
    changed = _tampered(proof, lambda b: b["entry"]["data"].update(size=1))
    capsys.readouterr()

    assert verify(receipt, platform_pem, "--proof", str(changed)) == 1

    out = capsys.readouterr().out
    assert "账本证明无效" in out and "ledger proof INVALID" in out
    assert "does not lead to the signed root" in out


def test_it_names_a_proof_whose_head_no_longer_matches_its_signature(
    proof_pair: tuple[Path, Path, Path], platform_pem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, proof, _ = proof_pair
    head = json.loads(proof.read_text())["tree_head"]
    changed = _tampered(proof, lambda b: b["tree_head"].update(tree_size=head["tree_size"] + 1))
    capsys.readouterr()

    assert verify(receipt, platform_pem, "--proof", str(changed)) == 1

    out = capsys.readouterr().out
    assert "ledger proof INVALID" in out and "signature" in out


def test_it_names_a_changed_receipt_before_looking_at_its_proof(
    proof_pair: tuple[Path, Path, Path], platform_pem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, proof, _ = proof_pair
    changed = _tampered(receipt, lambda r: r["payload"].update(size=r["payload"]["size"] + 1))
    capsys.readouterr()

    assert verify(changed, platform_pem, "--proof", str(proof)) == 1

    out = capsys.readouterr().out
    assert "回执无效 / receipt INVALID: not signed by this platform key" in out
    assert "ledger proof" not in out


def test_it_refuses_a_valid_proof_of_another_bid_naming_the_fields(
    proof_pair: tuple[Path, Path, Path], platform_pem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    receipt, _, others = proof_pair
    capsys.readouterr()

    assert verify(receipt, platform_pem, "--proof", str(others)) == 1

    out = capsys.readouterr().out
    assert "OK 账本证明有效 / ledger proof valid" in out  # it is a good proof ...
    assert "the ledger entry does NOT match the receipt (bid, sm3" in out  # ... of another bid
    assert "账本记录与回执不符" in out


def test_pins_tell_offline_whether_the_proofs_head_is_the_pinned_one(
    proof_pair: tuple[Path, Path, Path],
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receipt, proof, _ = proof_pair
    head = json.loads(proof.read_text())["tree_head"]
    size = head["tree_size"]

    assert verify(receipt, platform_pem, "--pins", state_with(tmp_path, head)) == 0
    assert f"the same as your pinned head of size {size}" in capsys.readouterr().out

    smaller = signed_head(size=size - 1, root=b"\x07" * 32)
    assert verify(receipt, platform_pem, "--pins", state_with(tmp_path, smaller)) == 0
    assert "consistency cannot be told offline: run ggzy-bid log monitor" in (
        capsys.readouterr().out
    )

    fork = signed_head(size=size, root=b"\x07" * 32)
    assert verify(receipt, platform_pem, "--pins", state_with(tmp_path, fork)) == 1
    out = capsys.readouterr().out
    assert "分叉" in out and "FORK: the proof's head and your pinned head" in out
    assert fork["root_hash"] in out and head["root_hash"] in out


# --- log monitor -------------------------------------------------------------------------------


def monitor(ggzy_bid: Any, bidder: Bidder, state: str, platform_pem: str) -> int:
    return int(ggzy_bid(bidder, "log", "monitor", "--state", state, "--platform-key", platform_pem))


def test_log_monitor_pins_the_first_head_then_heads_that_extend_it(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = str(tmp_path / "state.json")
    first = publish_head()
    assert monitor(ggzy_bid, bidders[0], state, platform_pem) == 0
    assert "first head pinned" in capsys.readouterr().out

    ledger.append("tests.monitor.tick", data={"n": 1})
    second = publish_head()
    assert second.tree_size == first.tree_size + 1
    assert monitor(ggzy_bid, bidders[0], state, platform_pem) == 0
    assert f"extends your pinned head of size {first.tree_size}" in capsys.readouterr().out

    pinned = json.loads(Path(state).read_text())["heads"]
    assert [h["tree_size"] for h in pinned] == [first.tree_size, second.tree_size]


def test_log_monitor_repeats_every_so_often_for_the_rounds_asked(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    head = publish_head()
    state = str(tmp_path / "s.json")

    assert ggzy_bid(bidders[0], "log", "monitor", "--state", state, "--platform-key",
                    platform_pem, "--every", "0.01", "--times", "3") == 0  # fmt: skip

    out = capsys.readouterr().out
    assert out.count("first head pinned") == 1 and out.count("(unchanged)") == 2
    pinned = json.loads(Path(state).read_text())["heads"]
    assert [h["tree_size"] for h in pinned] == [head.tree_size]  # the same head, once


def test_log_monitor_calls_a_smaller_tree_a_rollback_and_keeps_the_pins(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()
    served = latest_head_json()
    larger = signed_head(size=served["tree_size"] + 5, root=b"\x01" * 32)
    state = state_with(tmp_path, larger)
    before = Path(state).read_text()

    assert monitor(ggzy_bid, bidders[0], state, platform_pem) == 1

    captured = capsys.readouterr()
    assert "ROLLBACK: the platform's tree is smaller than the one pinned" in captured.err
    assert "回滚" in captured.err
    assert json.dumps(larger, ensure_ascii=False, sort_keys=True) in captured.out  # evidence
    assert Path(state).read_text() == before


def test_log_monitor_calls_another_root_at_the_same_size_a_fork(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()
    served = latest_head_json()
    state = state_with(tmp_path, signed_head(size=served["tree_size"], root=b"\x02" * 32))

    assert monitor(ggzy_bid, bidders[0], state, platform_pem) == 1

    err = capsys.readouterr().err
    assert "FORK: the same size with a different root" in err and "分叉" in err


def test_log_monitor_refuses_a_head_signed_with_another_key(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()
    other = tmp_path / "other.pem"
    other.write_bytes(sm2.generate_private_key().public_key().to_pem())

    assert monitor(ggzy_bid, bidders[0], str(tmp_path / "s.json"), str(other)) == 1

    line = error_line(capsys)
    assert "was not signed with this platform key" in line and "平台公钥" in line
    assert not (tmp_path / "s.json").exists()


def test_log_monitor_warns_when_the_platform_stopped_signing_heads(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    head = publish_head()
    with time_machine.travel(head.timestamp + dt.timedelta(minutes=30), tick=False):
        assert monitor(ggzy_bid, bidders[0], str(tmp_path / "s.json"), platform_pem) == 0
    warning = capsys.readouterr().err
    assert "the platform's latest head was signed 30 minutes ago" in warning
    assert "平台的最新树头已是 30 分钟前签发的" in warning


def test_log_monitor_exits_3_when_the_platform_cannot_be_reached(
    platform_pem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{servers.free_port()}"
    state = str(tmp_path / "s.json")

    assert cli.main(["log", "monitor", "--state", state, "--platform-key", platform_pem,
                     "--server", closed]) == 3  # fmt: skip

    line = error_line(capsys)
    assert "无法连接平台" in line and "run the same command again" in line
    assert not Path(state).exists()


def test_log_monitor_refuses_a_pinned_head_that_was_edited_in_the_state_file(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    platform_pem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()
    served = latest_head_json()
    state = state_with(tmp_path, {**served, "root_hash": "06" * 32})

    assert monitor(ggzy_bid, bidders[0], state, platform_pem) == 1

    line = error_line(capsys)
    assert f"head 1 in {state}'s platform signature does NOT verify" in line
    assert "签名无效" in line


def test_the_state_keeps_the_first_head_and_the_last_thousand() -> None:
    state = State.start(signing.platform_public_key(), None)
    for size in range(KEEP_LAST + 50):
        state.pin({"tree_size": size})
    sizes = [head["tree_size"] for head in state.heads]
    assert sizes[0] == 0 and sizes[1] == 50 and sizes[-1] == KEEP_LAST + 49
    assert len(sizes) == KEEP_LAST + 1


# --- log compare --------------------------------------------------------------------------------


def test_log_compare_finds_a_fork_offline(
    section: Section, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish_head()
    mine = latest_head_json()
    state = state_with(tmp_path, mine)
    theirs = tmp_path / "regulator-head.json"

    theirs.write_text(json.dumps(mine))
    assert cli.main(["log", "compare", state, str(theirs)]) == 0
    assert "their head is the one you pinned" in capsys.readouterr().out

    theirs.write_text(json.dumps(signed_head(size=mine["tree_size"], root=b"\x03" * 32)))
    assert cli.main(["log", "compare", state, str(theirs)]) == 1
    out = capsys.readouterr().out
    assert "分叉" in out and "FORK: their head and your pinned head have the same size" in out


def test_log_compare_needs_the_server_for_another_size_and_then_decides(
    section: Section,
    bidders: list[Bidder],
    ggzy_bid: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish_head()
    state = state_with(tmp_path, latest_head_json())
    ledger.append("tests.monitor.tick", data={"n": 2})
    publish_head()
    theirs = tmp_path / "regulator-head.json"
    theirs.write_text(json.dumps(latest_head_json()))

    assert cli.main(["log", "compare", state, str(theirs)]) == 3
    assert "cannot be told offline: add --server URL" in capsys.readouterr().out

    assert ggzy_bid(bidders[0], "log", "compare", state, str(theirs)) == 0
    assert "are one log" in capsys.readouterr().out

    rewritten = signed_head(size=json.loads(theirs.read_text())["tree_size"], root=b"\x04" * 32)
    theirs.write_text(json.dumps(rewritten))
    assert ggzy_bid(bidders[0], "log", "compare", state, str(theirs)) == 1
    assert "the log was rewritten or forked between size" in capsys.readouterr().err


def test_log_compare_refuses_a_head_the_platform_did_not_sign(
    section: Section, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish_head()
    mine = latest_head_json()
    state = state_with(tmp_path, mine)
    theirs = tmp_path / "head.json"
    theirs.write_text(json.dumps({**mine, "root_hash": "05" * 32}))

    assert cli.main(["log", "compare", state, str(theirs)]) == 2

    line = error_line(capsys)
    assert "their head's platform signature does NOT verify" in line and "签名无效" in line
