"""Sealing and unsealing on several threads (issue 14): the envelope is byte for byte what
one thread writes, chunks come back in order, a bad chunk stops everything after it, and
the tar the sealer writes itself is the one tarfile would write."""

from __future__ import annotations

import io
import os
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import (
    Recipient,
    TamperedEnvelope,
    archive,
    open_sheet,
    opening,
    read_header,
    sealing,
    unseal,
    unwrap_content_key,
    verify,
)
from ggzy_core.gm.envelope.parallel import OrderedWorkers, default_workers
from tests.ggzy_core.gm.envelope_helpers import SHEET, seal_to_bytes

CHUNK = 1024


class _Collect:
    """A sink that keeps what it is given, as the sealer does (it copies every write)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self.data += data
        return len(data)

    def tell(self) -> int:
        return len(self.data)

    def read(self, size: int, /) -> bytes:
        raise io.UnsupportedOperation

    def seek(self, pos: int, /) -> int:
        raise io.UnsupportedOperation

    def close(self) -> None:
        pass


def _bid_folder(root: Path) -> Path:
    folder = root / "投标文件"
    (folder / "技术标" / "附件").mkdir(parents=True)
    (folder / "商务标.pdf").write_bytes(os.urandom(3 * CHUNK + 17))
    (folder / "技术标" / "方案.docx").write_bytes(os.urandom((1 << 20) + 1000))  # > one read
    (folder / "技术标" / "附件" / "empty.txt").write_bytes(b"")
    (folder / "技术标" / "附件" / ("很长的文件名" * 4 + ".txt")).write_bytes(b"pax header")
    return folder


def test_it_writes_the_tar_that_tarfile_writes_byte_for_byte(tmp_path: Path) -> None:
    plan = archive.plan_archive([_bid_folder(tmp_path)])
    ours = _Collect()
    archive.write_archive(plan, ours)
    theirs = io.BytesIO()
    with tarfile.TarFile(fileobj=theirs, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in plan.entries:
            with entry.path.open("rb") as handle:
                tar.addfile(archive._tarinfo(entry), handle)
    assert bytes(ours.data) == theirs.getvalue()
    assert len(ours.data) == plan.size


def test_it_refuses_a_file_that_shrinks_after_it_was_planned(tmp_path: Path) -> None:
    source = tmp_path / "bid.pdf"
    source.write_bytes(b"x" * 5000)
    plan = archive.plan_archive([source])
    source.write_bytes(b"x" * 10)
    with pytest.raises(sealing.SealInputError, match="changed while it was sealed"):
        archive.write_archive(plan, _Collect())


def test_ordered_workers_hand_results_back_in_submission_order() -> None:
    second_done = threading.Event()

    def first() -> str:
        second_done.wait(timeout=10)  # finishes after the second job, on purpose
        return "first"

    def second() -> str:
        second_done.set()
        return "second"

    with OrderedWorkers[str](2, 2) as workers:
        workers.submit(first)
        workers.submit(second)
        assert workers.full()
        assert [workers.next_result(), workers.next_result()] == ["first", "second"]


def test_ordered_workers_raise_a_failure_at_its_turn_after_the_results_before_it() -> None:
    def fail() -> int:
        raise TamperedEnvelope("坏块", "bad chunk")

    with OrderedWorkers[int](2, 3) as workers:
        workers.submit(lambda: 1)
        workers.submit(fail)
        workers.submit(lambda: 3)
        assert workers.next_result() == 1
        with pytest.raises(TamperedEnvelope, match="bad chunk"):
            workers.next_result()


def test_ordered_workers_refuse_a_job_beyond_their_depth() -> None:
    with OrderedWorkers[int](1, 1) as workers:
        workers.submit(lambda: 1)
        with pytest.raises(RuntimeError, match="in flight"):
            workers.submit(lambda: 2)


def test_it_uses_one_thread_per_core_and_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    for cores, expected in ((None, 1), (1, 1), (2, 2), (64, 4)):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert default_workers() == expected


def _deterministic_sealing(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Fix what sealing draws at random or from the clock, and the number of threads."""
    counter = iter(range(1, 1000))
    monkeypatch.setattr(sealing.secrets, "token_bytes", lambda size: bytes([next(counter)]) * size)

    class _FixedClock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> _FixedClock:
            return cls(2026, 12, 1, 8, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(sealing, "datetime", _FixedClock)
    monkeypatch.setattr(
        sealing,
        "_wrap_for_recipients",
        lambda recipients, bidder_key, content_key: [
            {"key_fingerprint": bidder_key.fingerprint(), "role": "bidder", "wrapped_key": "AA=="}
        ],
    )
    monkeypatch.setattr(sealing, "default_workers", lambda: workers)


@pytest.mark.parametrize("workers", [2, 4])
def test_many_threads_seal_the_same_bytes_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    folder = _bid_folder(tmp_path)
    bidder = sm2.generate_private_key()
    envelopes = []
    for count in (1, workers):
        with monkeypatch.context() as patch:
            _deterministic_sealing(patch, count)
            envelope, _ = seal_to_bytes([folder], bidder, [], chunk_size=CHUNK)
        envelopes.append(envelope)
    one, many = envelopes
    # Everything the signature covers is identical; the SM2 signature itself is randomised.
    assert _signed_part(one) == _signed_part(many)
    assert len(_signed_part(one)) > 1000 * CHUNK


def _signed_part(envelope: bytes) -> bytes:
    for size in range(8, 80):  # a DER SM2 signature is 70-72 bytes
        if int.from_bytes(envelope[-size - 2 : -size], "big") == size:
            return envelope[: -size - 2]
    raise AssertionError("no signature length field found")


def test_a_tampered_middle_chunk_stops_a_many_threaded_unseal_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opening, "default_workers", lambda: 4)
    source = tmp_path / "bid.bin"
    source.write_bytes(os.urandom(40 * CHUNK))
    bidder = sm2.generate_private_key()
    envelope, _ = seal_to_bytes([source], bidder, [], chunk_size=CHUNK)
    header = read_header(io.BytesIO(envelope))
    key = unwrap_content_key(header.manifest, bidder)
    assert open_sheet(header, key) == SHEET
    tampered = bytearray(envelope)
    tampered[len(envelope) // 2] ^= 0x01  # inside a chunk about halfway through the body
    out_dir = tmp_path / "out"
    with pytest.raises(TamperedEnvelope, match=r"body chunk \d+ failed authentication"):
        unseal(io.BytesIO(bytes(tampered)), key, out_dir)
    assert not out_dir.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bid.bin"]  # no staging directory left


def test_a_many_threaded_unseal_gives_back_every_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(opening, "default_workers", lambda: 4)
    folder = _bid_folder(tmp_path / "in")
    bidder, opener = sm2.generate_private_key(), sm2.generate_private_key()
    envelope, _ = seal_to_bytes(
        [folder], bidder, [Recipient("opening", opener.public_key())], chunk_size=CHUNK
    )
    verified = verify(io.BytesIO(envelope), bidder.public_key())
    key = unwrap_content_key(verified.manifest, opener)
    paths = unseal(io.BytesIO(envelope), key, tmp_path / "out", signer=bidder.public_key())
    for path in paths:
        relative = path.relative_to(tmp_path / "out")
        assert path.read_bytes() == (folder.parent / relative).read_bytes()
    assert len(paths) == 4
