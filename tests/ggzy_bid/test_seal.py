"""``ggzy-bid seal``, ``inspect`` and ``unseal``: round trip, refusals, one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.credit_code import with_check_character
from ggzy_bid.cli import main
from ggzy_core.gm import sm2
from ggzy_core.gm.envelope import read_manifest
from ggzy_core.gm.envelope.archive import DOCUMENT_ID_FILE
from ggzy_core.gm.envelope.client import machine_fingerprint
from ggzy_core.gm.sm3 import sm3_hex
from tests.ggzy_bid.conftest import error_line

CREDIT_CODE = with_check_character("91350100M000100Y4")


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.bidder = sm2.generate_private_key()
        self.opening = sm2.generate_private_key()
        self.key = root / "bidder.pem"
        self.key.write_bytes(self.bidder.to_pem())
        self.pub = root / "bidder.pub.pem"
        self.pub.write_bytes(self.bidder.public_key().to_pem())
        self.opening_pub = root / "opening.pub.pem"
        self.opening_pub.write_bytes(self.opening.public_key().to_pem())
        self.opening_key = root / "opening.pem"
        self.opening_key.write_bytes(self.opening.to_pem())
        self.docs = root / "标书"
        self.docs.mkdir()
        (self.docs / "技术标.pdf").write_bytes(os.urandom(300_000))
        (self.docs / "empty.txt").write_bytes(b"")
        self.sheet = root / "sheet.json"
        self.sheet.write_text(
            '{"price": 12345678.90, "duration_days": 365, "quality": "合格", '
            '"project_manager": "李四"}',
            encoding="utf-8",
        )
        self.out = root / "bid.gbid"

    def seal_args(self, *extra: str) -> list[str]:
        return [
            "seal",
            "--section-id", "42",
            "--section-code", "GGZY-2026-0042-01",
            "--credit-code", CREDIT_CODE.lower(),
            "--key", str(self.key),
            "--opening-key", str(self.opening_pub),
            "--sheet", str(self.sheet),
            "--out", str(self.out),
            str(self.docs),
            *extra,
        ]  # fmt: skip


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


def test_seal_inspect_and_unseal_round_trip(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args("--chunk-size", "65536")) == 0
    printed = capsys.readouterr().out
    assert f"SM3: {sm3_hex(ws.out.read_bytes())}" in printed
    assert f"{ws.out.stat().st_size} bytes" in printed
    assert not list(ws.root.glob(".bid.gbid.*"))  # the temporary file is gone

    assert main(["inspect", str(ws.out), "--pub", str(ws.pub)]) == 0
    printed = capsys.readouterr().out
    assert "OK 签名有效 / signature valid" in printed
    assert ws.opening.public_key().fingerprint() in printed
    assert "GGZY-2026-0042-01" in printed

    assert main(["unseal", str(ws.out), "--key", str(ws.key), "--out", str(ws.root / "x")]) == 0
    printed = capsys.readouterr().out
    assert "报价 / price: 12345678.90 元" in printed
    assert "项目经理 / project manager: 李四" in printed
    assert "OK 签名有效" in printed
    for name in ("技术标.pdf", "empty.txt"):
        assert (ws.root / "x" / "标书" / name).read_bytes() == (ws.docs / name).read_bytes()


def test_the_opening_key_holder_can_unseal_too_and_check_the_signature_with_pub(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    args = ["unseal", str(ws.out), "--key", str(ws.opening_key), "--out", str(ws.root / "o")]
    assert main([*args, "--pub", str(ws.pub)]) == 0
    assert "OK 签名有效" in capsys.readouterr().out
    assert (ws.root / "o" / "标书" / "技术标.pdf").read_bytes() == (
        ws.docs / "技术标.pdf"
    ).read_bytes()


def test_inspect_json_reports_the_manifest_without_any_key(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    capsys.readouterr()
    assert main(["inspect", str(ws.out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["section"] == {"id": 42, "code": "GGZY-2026-0042-01"}
    assert info["bidder"]["credit_code"] == CREDIT_CODE
    assert [r["role"] for r in info["recipients"]] == ["bidder", "opening"]
    assert info["signature_verified"] is None
    assert info["sm3"] == sm3_hex(ws.out.read_bytes())


def test_inspect_says_invalid_and_exits_1_for_another_key(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    capsys.readouterr()
    assert main(["inspect", str(ws.out), "--pub", str(ws.opening_pub)]) == 1
    printed = capsys.readouterr().out
    assert "签名无效 / signature INVALID" in printed
    assert "GGZY-2026-0042-01" in printed  # the summary is still shown


def test_inspect_refuses_a_plain_pdf_saying_it_is_not_a_sealed_bid(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = ws.root / "bid.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj\n")
    assert main(["inspect", str(pdf)]) == 2
    line = error_line(capsys)
    assert "不是加密投标文件" in line
    assert "not a sealed ggzy bid (bad magic; this is an unencrypted PDF file)" in line


def test_seal_refuses_to_overwrite_without_force(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.out.write_bytes(b"precious")
    assert main(ws.seal_args()) == 2
    assert "--force" in error_line(capsys)
    assert ws.out.read_bytes() == b"precious"
    assert main(ws.seal_args("--force")) == 0
    assert read_manifest(io.BytesIO(ws.out.read_bytes())).section_id == 42


def test_a_failed_seal_leaves_no_envelope_and_no_temporary_file(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws.sheet.write_text('{"price": "12,000.00"}', encoding="utf-8")
    assert main(ws.seal_args()) == 2
    assert "invalid opening sheet" in error_line(capsys)
    assert sorted(p.name for p in ws.root.iterdir() if p.is_file()) == sorted(
        ["bidder.pem", "bidder.pub.pem", "opening.pem", "opening.pub.pem", "sheet.json"]
    )


def test_seal_refuses_an_invalid_credit_code_and_a_missing_file(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ws.seal_args()
    args[args.index("--credit-code") + 1] = "91350100M000100Y40"
    assert main(args) == 2
    assert "invalid unified social credit code" in error_line(capsys)
    assert main([*ws.seal_args(), str(ws.root / "missing.pdf")]) == 2
    assert "does not exist" in error_line(capsys)


def test_seal_refuses_an_output_inside_the_folder_being_sealed(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ws.seal_args()
    args[args.index("--out") + 1] = str(ws.docs / "bid.gbid")
    assert main(args) == 2
    assert "must not be inside the files being sealed" in error_line(capsys)


def test_seal_keeps_one_file_creation_id_per_document_folder(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    first = read_manifest(io.BytesIO(ws.out.read_bytes())).client.file_creation_id
    assert (ws.docs / DOCUMENT_ID_FILE).read_text().strip() == first
    assert main(ws.seal_args("--force")) == 0
    assert read_manifest(io.BytesIO(ws.out.read_bytes())).client.file_creation_id == first
    assert first in capsys.readouterr().out


def test_unseal_with_a_key_that_is_not_a_recipient_says_so(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    capsys.readouterr()
    stranger = ws.root / "stranger.pem"
    stranger.write_bytes(sm2.generate_private_key().to_pem())
    assert main(["unseal", str(ws.out), "--key", str(stranger), "--out", str(ws.root / "s")]) == 2
    line = error_line(capsys)
    assert "不是该投标文件的接收方" in line and "is not a recipient of this bid" in line
    assert not (ws.root / "s").exists()


def test_unseal_refuses_a_non_empty_output_directory(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    capsys.readouterr()
    (ws.root / "busy").mkdir()
    (ws.root / "busy" / "keep.txt").write_text("keep")
    assert main(["unseal", str(ws.out), "--key", str(ws.key), "--out", str(ws.root / "busy")]) == 2
    assert "exists and is not empty" in error_line(capsys)


def test_progress_is_shown_on_stderr_when_asked(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args("--progress", "--chunk-size", "4096")) == 0
    err = capsys.readouterr().err
    assert "封装 / sealing 100%" in err
    assert err.endswith("\n")


def test_the_installed_console_script_seals_and_inspects(ws: Workspace) -> None:
    script = Path(sys.executable).with_name("ggzy-bid")
    sealed = subprocess.run(
        [str(script), *ws.seal_args()], capture_output=True, text=True, check=False
    )
    assert sealed.returncode == 0, sealed.stderr
    shown = subprocess.run(
        [str(script), "inspect", str(ws.out), "--pub", str(ws.pub)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0
    assert "OK 签名有效 / signature valid" in shown.stdout
    piped = subprocess.run(
        [str(script), "inspect", "-"],
        input=ws.out.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert piped.returncode == 0
    assert "GGZY-2026-0042-01" in piped.stdout.decode()


def test_seal_says_what_it_records_about_this_machine_and_inspect_shows_it(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ws.seal_args()) == 0
    notice = capsys.readouterr().err
    assert notice.startswith("说明：本次封装在投标文件中记录了本机指纹")
    assert f"hidden file {DOCUMENT_ID_FILE} in the folder of the files sealed" in notice
    assert "to detect collusion" in notice and "[R40]" in notice
    assert "ggzy-bid inspect BID.gbid shows what was recorded" in notice
    assert (ws.docs / DOCUMENT_ID_FILE).exists()

    assert main(["inspect", str(ws.out)]) == 0
    shown = capsys.readouterr().out
    assert f"机器指纹 / machine fingerprint: {machine_fingerprint()}" in shown
    file_id = (ws.docs / DOCUMENT_ID_FILE).read_text().strip()
    assert f"文件创建标识 / file creation id: {file_id}" in shown
    assert "for the collusion check [R40]" in shown
