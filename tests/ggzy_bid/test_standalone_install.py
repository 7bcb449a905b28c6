"""A bidder installs ``ggzy-bid`` alone — no Django, no server code — and it seals, unseals
and verifies a receipt (issue 8).

The two distributions (``libs/ggzy-core``, ``clients/ggzy-bid``) are built and installed from
this checkout into a fresh virtual environment; their dependencies come from the package
index uv is configured with (or its cache).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.credit_code import with_check_character
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.receipts import RECEIPT_FORMAT, receipt_message

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).with_name("uv")
CREDIT_CODE = with_check_character("91350100M000100Y4")


@pytest.fixture(scope="module")
def bidder_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("bidder") / "venv"
    subprocess.run([UV, "venv", "--quiet", "--python", sys.executable, venv], check=True)
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python",
         ROOT / "libs" / "ggzy-core", ROOT / "clients" / "ggzy-bid"],
        check=True,
    )  # fmt: skip
    return venv


def run(venv: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "GGZY_KEY_PASSWORD": "一二三 secret"}
    return subprocess.run(
        [venv / "bin" / "ggzy-bid", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_installed_tool_has_no_django_and_no_server_code(bidder_venv: Path) -> None:
    probe = (
        "import importlib.util as u;"
        "print([m for m in ('django', 'rest_framework', 'channels', 'celery', 'ggzy', "
        "'bidding', 'realtime', 'trading') if u.find_spec(m)])"
    )
    found = subprocess.run(
        [bidder_venv / "bin" / "python", "-c", probe],
        capture_output=True, text=True, check=True, cwd="/",
    )  # fmt: skip
    assert found.stdout.strip() == "[]"


def test_a_bidder_seals_unseals_and_verifies_a_receipt_with_the_tool_alone(
    bidder_venv: Path, tmp_path: Path
) -> None:
    opening = sm2.generate_private_key()
    (tmp_path / "opening.pub.pem").write_bytes(opening.public_key().to_pem())
    (tmp_path / "标书").mkdir()
    (tmp_path / "标书" / "技术标.pdf").write_bytes(os.urandom(70_000))
    (tmp_path / "sheet.json").write_text(
        '{"price": 1234.50, "duration_days": 90, "quality": "合格", "project_manager": "李四"}',
        encoding="utf-8",
    )

    keygen = run(bidder_venv, "keygen", "--out", "bidder.pem", cwd=tmp_path)
    assert keygen.returncode == 0, keygen.stderr
    sealed = run(
        bidder_venv, "seal", "--section-id", "7", "--section-code", "GGZY-2026-0007-01",
        "--credit-code", CREDIT_CODE, "--key", "bidder.pem", "--opening-key", "opening.pub.pem",
        "--sheet", "sheet.json", "--out", "bid.gbid", "标书",
        cwd=tmp_path,
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    unsealed = run(
        bidder_venv, "unseal", "--key", "bidder.pem", "--out", "back", "bid.gbid", cwd=tmp_path
    )
    assert unsealed.returncode == 0, unsealed.stderr
    assert (tmp_path / "back" / "标书" / "技术标.pdf").read_bytes() == (
        tmp_path / "标书" / "技术标.pdf"
    ).read_bytes()
    assert "1234.5" in unsealed.stdout

    platform = sm2.generate_private_key()
    (tmp_path / "platform.pem").write_bytes(platform.public_key().to_pem())
    bid = (tmp_path / "bid.gbid").read_bytes()
    payload = {
        "format": RECEIPT_FORMAT, "kind": "received", "bid_id": "0b3f4c1e-1d2a-4f3b-9c1d-2e6f7a8b9c0d",
        "bidder": CREDIT_CODE, "section": "GGZY-2026-0007-01", "sm3": sm3_hex(bid),
        "size": len(bid), "received_at": "2026-11-30T10:00:00.000000Z",
    }  # fmt: skip
    receipt = {
        "payload": payload,
        "signature": platform.sign(receipt_message(payload)).hex(),
        "key_fingerprint": platform.public_key().fingerprint(),
    }
    (tmp_path / "receipt.json").write_text(json.dumps(receipt), encoding="utf-8")

    valid = run(
        bidder_venv, "receipt", "verify", "receipt.json", "--platform-key", "platform.pem",
        "--file", "bid.gbid", cwd=tmp_path,
    )  # fmt: skip
    assert valid.returncode == 0, valid.stderr + valid.stdout
    assert "receipt valid" in valid.stdout

    (tmp_path / "bid.gbid").write_bytes(bid[:-1] + bytes([bid[-1] ^ 1]))
    tampered = run(
        bidder_venv, "receipt", "verify", "receipt.json", "--platform-key", "platform.pem",
        "--file", "bid.gbid", cwd=tmp_path,
    )  # fmt: skip
    assert tampered.returncode == 1
    assert "does NOT match" in tampered.stdout
