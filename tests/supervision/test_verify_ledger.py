import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from supervision import ledger

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_verify_ledger_counts_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(3):
        ledger.append("tests.thing.happened", data={"n": n})
    ledger.checkpoint()
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "OK" in out and "3 entries" in out and "1 signed checkpoints" in out


def test_an_export_verifies_offline_without_django(tmp_path: Path) -> None:
    for n in range(4):
        ledger.append("tests.thing.happened", data={"n": n, "名称": "测试"})
    ledger.checkpoint()
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", out=export)
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
    intact = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert intact.returncode == 0, intact.stderr
    assert "4 entries, 1 signed checkpoints" in intact.stdout

    lines = export.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"n": 1', '"n": 7')
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert "#2" in broken.stdout


def test_a_checkpoint_by_a_stranger_key_fails_offline(tmp_path: Path) -> None:
    from ggzy_core import ledger_chain as chain
    from ggzy_core.gm import sm2

    ledger.append("tests.thing.happened")
    ledger.checkpoint()
    points = ledger.checkpoint_records()
    stranger = sm2.generate_private_key().public_key()
    forged = [{**points[0], "key_fingerprint": stranger.fingerprint()}]
    verdict = chain.verify(ledger.entry_records(), forged, {stranger.fingerprint(): stranger})
    assert not verdict.ok and "signature is invalid" in verdict.reason


def test_an_export_holds_embargoed_entries_and_verifies_offline(tmp_path: Path) -> None:
    """The operators' export is the whole chain, sealed entries included (with their scope):
    it is read with database access, which sees them anyway; the reading views do not."""
    import datetime as dt
    import json

    ledger.seal("trading.section:7", until=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    ledger.append("tests.thing.happened")
    ledger.append("tests.bid.received", data={"sm3": "ab" * 32}, embargo="trading.section:7")
    ledger.append("tests.thing.happened")
    ledger.checkpoint()
    export = tmp_path / "ledger.jsonl"
    call_command("export_ledger", out=export)
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert [line["entry"]["embargo"] for line in lines if "entry" in line] == [
        None,
        "trading.section:7",
        None,
    ]
    key = export.with_suffix(".platform-key.pem")
    command = [
        sys.executable,
        "-m",
        "ggzy_core.ledger_chain",
        str(export),
        "--public-key",
        str(key),
    ]
    result = subprocess.run(command, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert b"3 entries, 1 signed checkpoints" in result.stdout
