"""A bidder seals and submits its bid with the real ``ggzy-bid`` command, as on its own
machine: its own folder of documents, its key file (password-protected or not), the section's
opening key downloaded from the public section page, and a login token from the platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests
from django.urls import reverse

from tests.factories import TEST_PASSWORD

TOOL = Path(sys.executable).parent / "ggzy-bid"


@dataclass(frozen=True)
class Sealed:
    bid_file: Path  # the .gbid the bidder keeps: it unlocks it in the opening hall
    receipt: Path  # the platform's signed receipt, saved and verified by the tool


def token_for(base: str, username: str) -> str:
    """An API token, as ``ggzy-bid login`` gets one."""
    answer = requests.post(
        base + reverse("api:token"),
        json={"username": username, "password": TEST_PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def ggzy_bid(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(TOOL), *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"ggzy-bid {arguments[0]}: {done.stdout}\n{done.stderr}"
    return done


def seal_and_submit(
    *,
    base: str,
    username: str,
    folder: Path,
    section_id: int,
    section_code: str,
    credit_code: str,
    key: Path,
    password: str | None,
    sheet: dict[str, object],
) -> Sealed:
    """``ggzy-bid seal`` then ``ggzy-bid submit`` in ``folder`` (the bidder's documents are the
    files in ``folder / "documents"``); the sealed file and the verified receipt are returned."""
    opening_key = folder / "opening.pub.pem"
    answer = requests.get(base + reverse("trading:opening_key", args=[section_code]), timeout=30)
    assert answer.ok, answer.text
    opening_key.write_bytes(answer.content)
    sheet_file = folder / "sheet.json"
    sheet_file.write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    bid_file = folder / "bid.gbid"
    env = {
        "GGZY_SERVER": base,
        "GGZY_TOKEN": token_for(base, username),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "GGZY_KEY_PASSWORD": password or "",
    }
    if not password:
        del env["GGZY_KEY_PASSWORD"]
    documents = sorted(
        str(path) for path in (folder / "documents").iterdir() if not path.name.startswith(".")
    )
    ggzy_bid(
        "seal", *documents, "--section-id", str(section_id),
        "--section-code", section_code, "--credit-code", credit_code, "--key", str(key),
        "--opening-key", str(opening_key), "--sheet", str(sheet_file), "--out", str(bid_file),
        env=env,
    )  # fmt: skip
    ggzy_bid("submit", str(bid_file), "--section", section_code, env=env)
    receipt = Path(str(bid_file) + ".receipt.json")
    assert receipt.exists()
    return Sealed(bid_file=bid_file, receipt=receipt)
