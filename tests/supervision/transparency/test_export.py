"""The export carries the signed tree heads and each entry's leaf index, and verifies
offline (ggzy_core.ledger_chain rebuilds the tree from the entries)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from supervision import ledger
from supervision.transparency.producer import publish_head
from tests.supervision.transparency.test_producer import DEADLINE, SCOPE, START

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def offline(export: Path) -> subprocess.CompletedProcess[str]:
    key = export.with_suffix(".platform-key.pem")
    command = [
        sys.executable,
        "-m",
        "ggzy_core.ledger_chain",
        str(export),
        "--public-key",
        str(key),
    ]
    env = {"PATH": "/usr/bin:/bin"}  # no DJANGO_SETTINGS_MODULE, no database
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_export_has_every_head_and_each_entrys_leaf_index(tmp_path: Path) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        ledger.seal(SCOPE, until=DEADLINE)
        ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 1})
        ledger.append("bidding.bid.received", actor=ledger.SYSTEM, data={"n": 2}, embargo=SCOPE)
        ledger.checkpoint()
        publish_head()
        traveller.move_to(DEADLINE)
        publish_head()
        hidden = ledger.append("bidding.bid.received", actor=ledger.SYSTEM, embargo="a.b:9")
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", out=export)
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    heads = [line["tree_head"] for line in lines if "tree_head" in line]
    assert [head["tree_size"] for head in heads] == [1, 2]
    entries = {line["entry"]["sequence"]: line["entry"] for line in lines if "entry" in line}
    assert [entries[n]["leaf_index"] for n in sorted(entries)] == [0, 1, None]
    assert entries[hidden.sequence]["leaf_index"] is None

    intact = offline(export)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "2 tree heads verified" in intact.stdout


def test_a_rewritten_entry_breaks_the_exported_heads_offline(tmp_path: Path) -> None:
    from tests.supervision.transparency.attacks import rewrite_entry

    first = ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 1})
    ledger.append("tests.thing.happened", actor=ledger.SYSTEM, data={"n": 2})
    publish_head()
    rewrite_entry(first.sequence, {"n": 7})  # chain and tree recomputed, a new head signed
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", out=export)
    broken = offline(export)
    assert broken.returncode == 1
    assert "tree head of size 2" in broken.stdout
