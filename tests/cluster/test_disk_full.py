"""The disk fills during an upload: the bidder's tool gets a clear bilingual refusal (HTTP
507 with the cause and the next step), nothing of the refused part is kept and nothing
claims a bid; once space is freed the same command resumes and the bid is received.

The platform's stored files (MEDIA_ROOT, where upload parts land) are a small tmpfs mounted
for the test; another file on it ("someone else's") takes part of the room and is deleted
to free it. Real processes: daphne and the bidder's tool ``ggzy-bid submit``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from accounts import services as account_services
from bidding.models import Bid, Upload, UploadState
from bidding.rules import REASONS
from ggzy import signing
from ggzy_core.gm.sm3 import sm3_hex
from ggzy_core.receipts import verify_receipt
from supervision.models import LedgerEntry
from tests import servers, tools
from tests.bidding.conftest import make_bidder, open_for_bids, seal_bid
from tests.trading.conftest import draft, holders, project, published, tenderee  # noqa: F401
from trading.models import Section

MIB = 1024 * 1024
DISK_MIB = 24
SOMEONE_ELSES_MIB = 12  # leaves about 12 MiB for a bid of about 16 MiB
CHUNK = 2 * MIB  # the tool's PATCH size: one part each

pytestmark = [
    pytest.mark.django_db(transaction=True),
    tools.requires(
        os.geteuid() == 0 and shutil.which("mount") and shutil.which("umount"),
        "needs root and mount(8) to mount a small tmpfs as the platform's storage",
    ),
]


@pytest.fixture
def small_disk(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """A DISK_MIB tmpfs as the platform's storage, this process's and daphne's alike."""
    mount_point = tmp_path / "media"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m,mode=0700", "tmpfs", str(mount_point)],
        check=True,
    )
    settings.MEDIA_ROOT = str(mount_point)
    try:
        yield mount_point
    finally:
        unmounted = subprocess.run(["umount", str(mount_point)], check=False)
        if unmounted.returncode != 0:  # a server still holding a file: detach it anyway
            subprocess.run(["umount", "-l", str(mount_point)], check=True)


def submit(url: str, token: str, bid: Path, section: Section, home: Path) -> tuple[int, str]:
    command = servers.ggzy_bid_submit(
        url=url, token=token, bid=bid, section_code=section.code, home=home, chunk_size=CHUNK
    )
    done = subprocess.run(
        command.argv,
        cwd=servers.ROOT,
        env=command.env,
        capture_output=True,
        timeout=300,
    )
    return done.returncode, (done.stdout + done.stderr).decode()


def stored_parts(disk: Path) -> list[str]:
    return sorted(path.name for path in disk.rglob("part-*"))


@pytest.mark.parametrize(
    ("min_free_bytes", "parts_fit_first"),
    [
        # The free-space check is off (as if another upload filled the disk after it
        # passed): parts are stored until one hits ENOSPC while it is written.
        (str(-(1 << 40)), True),
        # The check keeps 1 MiB free beyond a whole part (16 MiB, whatever the client's
        # PATCH size): the first part is refused before a byte of it is written.
        (str(MIB), False),
    ],
    ids=["disk-fills-while-writing", "free-space-check-refuses"],
)
def test_it_refuses_a_part_the_disk_cannot_hold_keeps_nothing_of_it_and_resumes_once_freed(
    published: Section,  # noqa: F811
    tmp_path: Path,
    small_disk: Path,
    min_free_bytes: str,
    parts_fit_first: bool,
) -> None:
    section = open_for_bids(published, closes_in=dt.timedelta(hours=1))
    bidder = make_bidder("存储已满测试建设有限公司")
    _token, raw = account_services.token_issue(person=bidder.person)
    data = seal_bid(section, bidder, tmp_path, body=secrets.token_bytes(16 * MIB))
    bid_file = tmp_path / "bid.gbid"
    bid_file.write_bytes(data)
    someone_elses = small_disk / "someone-elses.bin"
    someone_elses.write_bytes(b"\0" * (SOMEONE_ELSES_MIB * MIB))
    home = tmp_path / "home"
    home.mkdir()

    with servers.daphne(
        tmp_path, MEDIA_ROOT=str(small_disk), BIDDING_MIN_FREE_BYTES=min_free_bytes
    ) as server:
        code, said = submit(server.url, raw, bid_file, section, home)
        assert code != 0, said
        # The tool says why (the server's 507) and what to do, in both languages.
        assert "平台存储空间暂时不足" in said and "storage is full" in said, said
        assert "run the same command again later" in said, said
        assert "Traceback" not in said and "500" not in said, said

        upload = Upload.objects.get()
        assert upload.state == UploadState.OPEN
        assert upload.offset < len(data)
        assert (upload.offset > 0) == parts_fit_first  # what fitted is kept...
        # ...and only that: every stored part is one the upload counts, none half-written.
        assert stored_parts(small_disk) == [f"part-{n:06d}" for n in range(1, upload.parts + 1)]
        assert sum(p.stat().st_size for p in small_disk.rglob("part-*")) == upload.offset
        assert not Bid.objects.exists()
        assert not (tmp_path / "bid.gbid.receipt.json").exists()
        assert not LedgerEntry.objects.filter(action__startswith="bidding.bid.").exists()
        assert "Traceback" not in server_log(tmp_path)
        # What the tool read: the tus answer itself, asked again while the disk is full.
        answer = requests.patch(
            f"{server.url}/api/bids/uploads/{upload.pk}",
            data=data[upload.offset : upload.offset + CHUNK],
            headers={
                "Authorization": f"Token {raw}",
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": str(upload.offset),
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=60,
        )
        assert answer.status_code == 507, answer.text
        assert answer.json() == {"code": "storage_full", "detail": REASONS["storage_full"]}
        assert answer.headers["Upload-Offset"] == str(upload.offset)
        assert int(answer.headers["Retry-After"]) > 0
        assert stored_parts(small_disk) == [f"part-{n:06d}" for n in range(1, upload.parts + 1)]

        someone_elses.unlink()  # space is freed
        code, said = submit(server.url, raw, bid_file, section, home)

    assert code == 0, said
    assert Upload.objects.count() == 1  # the same upload, resumed
    bid = Bid.objects.get()
    assert bid.sm3 == sm3_hex(data) and bid.size == len(data)
    receipt = json.loads((tmp_path / "bid.gbid.receipt.json").read_text())
    assert verify_receipt(receipt, signing.platform_public_key())
    assert receipt["payload"]["sm3"] == sm3_hex(data)
    assert LedgerEntry.objects.filter(action="bidding.bid.received").count() == 1


def server_log(var_dir: Path) -> str:
    return "\n".join(path.read_text(errors="replace") for path in var_dir.glob("daphne-*.log"))
