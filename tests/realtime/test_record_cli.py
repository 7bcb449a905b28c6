"""``ggzy-bid record verify`` / ``record get`` / ``signin``, and the record checked with openssl
exactly as docs/record.md says."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accounts import services as account_services
from ggzy_bid.cli import main
from ggzy_core import record
from ggzy_core.gm import sm2
from realtime import attendance
from realtime.models import SignIn
from tests import servers, tools
from tests.realtime.conftest import Opening
from tests.realtime.test_record import build_record
from tests.realtime.test_record_hall import open_without_the_third_signing_in


@pytest.fixture(scope="module")
def platform() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


def downloaded(folder: Path, key: sm2.SM2PrivateKey) -> tuple[Path, Path, Path]:
    """A record as ``record get`` saves it: JSON, signature, and the platform's public key."""
    data = record.record_json(build_record())
    signed = record.sign_record(data, key.sign, key.public_key().fingerprint())
    json_path = folder / "开标记录-JSGC-2025-0318-001.json"
    json_path.write_bytes(data)
    (folder / "开标记录-JSGC-2025-0318-001.sig.json").write_text(json.dumps(signed))
    pem = folder / "platform.pem"
    pem.write_bytes(key.public_key().to_pem())
    return json_path, folder / "开标记录-JSGC-2025-0318-001.sig.json", pem


def test_a_downloaded_record_verifies_offline_and_is_summarised(
    tmp_path: Path, platform: sm2.SM2PrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    json_path, _sig, pem = downloaded(tmp_path, platform)
    # The signature is found next to the record by its name.
    assert main(["record", "verify", str(json_path), "--platform-key", str(pem)]) == 0
    out = capsys.readouterr().out
    assert "record signature valid" in out and "JSGC-2025-0318-001" in out
    assert "未签到 / not signed in" in out  # the bidder that never signed in
    assert platform.public_key().fingerprint() in out


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda raw: raw.replace(b"47850000.00", b"47850000.01"), "SM3 is not the one signed"),
        (lambda raw: json.dumps(json.loads(raw), indent=2).encode(), "SM3 is not the one signed"),
    ],
)
def test_a_changed_record_is_invalid_and_says_why(
    tmp_path: Path,
    platform: sm2.SM2PrivateKey,
    capsys: pytest.CaptureFixture[str],
    change: Any,
    reason: str,
) -> None:
    json_path, sig, pem = downloaded(tmp_path, platform)
    json_path.write_bytes(change(json_path.read_bytes()))
    assert (
        main(
            [
                "record",
                "verify",
                str(json_path),
                "--signature",
                str(sig),
                "--platform-key",
                str(pem),
            ]
        )
        == 1
    )
    assert reason in capsys.readouterr().out


def test_a_record_signed_by_another_key_is_invalid(
    tmp_path: Path, platform: sm2.SM2PrivateKey, capsys: pytest.CaptureFixture[str]
) -> None:
    json_path, _sig, _pem = downloaded(tmp_path, platform)
    other = tmp_path / "other.pem"
    other.write_bytes(sm2.generate_private_key().public_key().to_pem())
    assert main(["record", "verify", str(json_path), "--platform-key", str(other)]) == 1
    assert "not this platform key" in capsys.readouterr().out


def test_plain_verify_cannot_check_the_record_but_openssl_can_with_the_prefix(
    tmp_path: Path, platform: sm2.SM2PrivateKey
) -> None:
    """docs/record.md: the signed message is RECORD_DOMAIN + the JSON file's bytes."""
    openssl = shutil.which("openssl")
    tools.require(openssl, "needs the openssl command (OpenSSL 3 with SM2)")
    assert openssl is not None
    json_path, sig, pem = downloaded(tmp_path, platform)
    der = tmp_path / "record.sig.der"
    der.write_bytes(bytes.fromhex(json.loads(sig.read_text())["signature"]))
    message = tmp_path / "record.msg"
    message.write_bytes(b"ggzy-opening-record\n" + json_path.read_bytes())

    def openssl_verify(data: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin",
             "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
             "-in", str(data), "-sigfile", str(der)],
            capture_output=True, text=True,
        )  # fmt: skip

    assert openssl_verify(message).returncode == 0
    assert openssl_verify(json_path).returncode != 0  # the JSON alone is not what was signed
    assert main(["verify", str(json_path), "--pub", str(pem), "--sig", str(der)]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_bidder_signs_in_and_fetches_the_signed_record_with_the_tool(
    opening: Opening, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    late = opening.bidders[2]
    _instance, token = account_services.token_issue(person=late.person)
    env = {**os.environ, "GGZY_TOKEN": token, "XDG_CONFIG_HOME": str(tmp_path)}

    def ggzy_bid(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ggzy_bid.cli", *args],
            cwd=servers.ROOT,
            env={**env, "GGZY_SERVER": url},
            capture_output=True,
            text=True,
            timeout=120,
        )

    code = opening.section.code
    with servers.daphne(tmp_path) as daphne:
        signed_in = ggzy_bid(daphne.url, "signin", "--section", code)
        open_without_the_third_signing_in(opening, django_capture_on_commit_callbacks)
        fetched = ggzy_bid(
            daphne.url, "record", "get", "--section", code, "--out", str(tmp_path / "r")
        )
    assert signed_in.returncode == 0, signed_in.stderr
    at = SignIn.objects.get(organisation=late.organisation).signed_in_at
    # The page shows the same two texts (realtime.attendance).
    assert signed_in.stdout.splitlines() == [
        attendance.signed_in_message(at),
        attendance.SIGN_IN_RULE,
    ]
    assert fetched.returncode == 0, fetched.stderr
    assert "record signature valid" in fetched.stdout
    saved = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert saved == [f"开标记录-{code}{s}" for s in (".json", ".pdf", ".sig.json")]
    data = json.loads((tmp_path / "r" / f"开标记录-{code}.json").read_bytes())
    assert data["bids"][2]["signed_in_at"] is not None  # signed in with the tool
