"""An export with the public log's signed tree heads verifies offline, embargoed entries
joining the tree late included; a rewritten entry whose chain was recomputed is caught by
the heads (the chain alone would pass it)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from ggzy_core import ledger_chain as chain
from supervision import ledger
from supervision.transparency.producer import publish_head

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SCOPE = "trading.section:81"
START = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def export_with_heads(tmp_path: Path, clock: time_machine.Traveller) -> Path:
    ledger.seal(SCOPE, until=START + dt.timedelta(hours=1))
    ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 1})
    ledger.append("tests.bid.received", actor=ledger.SYSTEM, data={"n": 2}, embargo=SCOPE)
    ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 3})
    publish_head()
    clock.shift(dt.timedelta(hours=2))  # past the seal: the bid joins the tree now
    ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 4})
    publish_head()
    ledger.checkpoint()
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", out=export)
    return export


def run_verifier(export: Path) -> subprocess.CompletedProcess[str]:
    key = export.with_suffix(".platform-key.pem")
    command = [
        sys.executable,
        "-m",
        "ggzy_core.ledger_chain",
        str(export),
        "--public-key",
        str(key),
    ]
    env = {"PATH": "/usr/bin:/bin"}  # no Django settings, no database
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_an_export_with_tree_heads_verifies_offline(
    tmp_path: Path, clock: time_machine.Traveller
) -> None:
    export = export_with_heads(tmp_path, clock)
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    heads = [line["tree_head"] for line in lines if "tree_head" in line]
    assert [head["tree_size"] for head in heads][-1] >= 4
    result = run_verifier(export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(heads)} tree heads verified" in result.stdout


def test_a_rewritten_and_rechained_export_fails_on_its_tree_head(
    tmp_path: Path, clock: time_machine.Traveller
) -> None:
    export = export_with_heads(tmp_path, clock)
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    entries = [line["entry"] for line in lines if "entry" in line]
    entries[0]["data"] = {"n": "rewritten"}
    previous = chain.GENESIS_HASH
    for record in entries:  # a forger recomputes the whole chain
        record["previous_hash"] = previous
        record["entry_hash"] = previous = chain.entry_hash(record)
    kept = [line for line in lines if "entry" not in line and "checkpoint" not in line]
    rewritten = kept + [{"entry": record} for record in entries]
    export.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in rewritten),
        encoding="utf-8",
    )
    result = run_verifier(export)
    assert result.returncode == 1
    assert "does not match the entries (an entry was rewritten, or the head forked)" in (
        result.stdout
    )
