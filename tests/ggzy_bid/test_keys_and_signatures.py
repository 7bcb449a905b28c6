"""``ggzy-bid``: exit codes, bilingual one-line errors, file modes, OpenSSL compatibility."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ggzy_bid import passwords, server
from ggzy_bid.cli import main
from ggzy_bid.commands import submission
from ggzy_core.gm import sm2
from ggzy_core.gm.sm3 import sm3_hex
from tests import tools
from tests.ggzy_bid.conftest import error_line
from tests.ggzy_core.gm.helpers import FAST_ITERATIONS, openssl_status, requires_openssl

PASSWORD = "投标密码-2024"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """An encrypted bidder key (fast KDF: these tests are about the CLI, not PBKDF2)."""
    path = tmp_path / "bidder.pem"
    path.write_bytes(
        sm2.generate_private_key().to_pem(PASSWORD.encode(), iterations=FAST_ITERATIONS)
    )
    return path


@pytest.fixture
def public_file(tmp_path: Path, key_file: Path) -> Path:
    key = sm2.load_private_key(key_file.read_bytes(), PASSWORD.encode())
    path = tmp_path / "bidder.pub.pem"
    path.write_bytes(key.public_key().to_pem())
    return path


# --- keygen --------------------------------------------------------------------------------


def test_keygen_writes_an_encrypted_key_readable_only_by_its_owner(
    tmp_path: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new.pem"
    assert main(["keygen", "--out", str(out), "--password-file", str(password_file)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = sm2.load_private_key(out.read_bytes(), PASSWORD.encode())
    assert key.public_key().fingerprint() in capsys.readouterr().out


def test_keygen_refuses_to_overwrite_an_existing_file_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "existing.pem"
    out.write_bytes(b"precious")
    assert main(["keygen", "--out", str(out), "--no-password"]) == 2
    err = error_line(capsys)
    assert "已存在" in err
    assert "already exists" in err
    assert out.read_bytes() == b"precious"
    assert main(["keygen", "--out", str(out), "--no-password", "--force"]) == 0
    assert out.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_keygen_takes_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(passwords.ENV_VAR, "from-env")
    out = tmp_path / "env.pem"
    assert main(["keygen", "--out", str(out)]) == 0
    sm2.load_private_key(out.read_bytes(), b"from-env")


def test_keygen_asks_twice_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["typed-pass", "typed-pass"])
    prompts: list[str] = []
    monkeypatch.setattr(passwords.sys.stdin, "isatty", lambda: True)

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(passwords.getpass, "getpass", fake_getpass)
    out = tmp_path / "typed.pem"
    assert main(["keygen", "--out", str(out)]) == 0
    assert len(prompts) == 2
    sm2.load_private_key(out.read_bytes(), b"typed-pass")


def test_keygen_refuses_two_different_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(["first", "second"])
    monkeypatch.setattr(passwords.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(passwords.getpass, "getpass", lambda prompt: next(answers))
    out = tmp_path / "never.pem"
    assert main(["keygen", "--out", str(out)]) == 2
    assert "do not match" in error_line(capsys)
    assert not out.exists()


def test_keygen_without_a_terminal_or_password_says_how_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(passwords.sys.stdin, "isatty", lambda: False)
    assert main(["keygen", "--out", str(tmp_path / "k.pem")]) == 2
    err = error_line(capsys)
    assert "--password-file" in err
    assert passwords.ENV_VAR in err


# --- pubkey --------------------------------------------------------------------------------


def test_pubkey_prints_the_subject_public_key_info(
    key_file: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pubkey", str(key_file), "--password-file", str(password_file)]) == 0
    out = capsys.readouterr().out
    expected = sm2.load_private_key(key_file.read_bytes(), PASSWORD.encode()).public_key()
    assert sm2.load_public_key(out.encode()) == expected


def test_pubkey_writes_a_file_with_the_environment_password(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(passwords.ENV_VAR, PASSWORD)
    out = tmp_path / "pub.pem"
    assert main(["pubkey", str(key_file), "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_a_wrong_password_is_one_clear_line_and_exit_2(
    key_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(passwords.ENV_VAR, "not the password")
    assert main(["pubkey", str(key_file)]) == 2
    err = error_line(capsys)
    assert "私钥密码错误" in err
    assert "wrong password" in err


def test_a_non_sm2_key_is_refused_in_both_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p256 = tmp_path / "p256.pem"
    p256.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    document = tmp_path / "doc.txt"
    document.write_bytes(b"bid")
    code = main(["sign", "--key", str(p256), str(document), "--out", str(tmp_path / "s.der")])
    assert code == 2
    err = error_line(capsys)
    assert "不是 SM2 密钥" in err
    assert "P-256" in err


def test_a_garbage_key_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"this is not a key")
    assert main(["pubkey", str(garbage)]) == 2
    assert "密钥文件无效" in error_line(capsys)


def test_a_missing_file_is_reported_with_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.pem"
    assert main(["pubkey", str(missing)]) == 2
    err = error_line(capsys)
    assert "nowhere.pem" in err
    assert "cannot read" in err


# --- sign / verify -------------------------------------------------------------------------


def test_sign_then_verify_says_the_signature_is_valid(
    tmp_path: Path,
    key_file: Path,
    public_file: Path,
    password_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = tmp_path / "bid.zip"
    document.write_bytes(os.urandom(300_000))
    sig = tmp_path / "bid.sig"
    argv = ["sign", "--key", str(key_file), str(document), "--out", str(sig)]
    assert main([*argv, "--password-file", str(password_file)]) == 0
    capsys.readouterr()
    assert main(["verify", "--pub", str(public_file), "--sig", str(sig), str(document)]) == 0
    assert "OK 签名有效 / signature valid" in capsys.readouterr().out


def test_verify_of_a_modified_file_exits_1(
    tmp_path: Path,
    key_file: Path,
    public_file: Path,
    password_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = tmp_path / "bid.txt"
    document.write_bytes(b"price: 1,000,000")
    sig = tmp_path / "bid.sig"
    argv = ["sign", "--key", str(key_file), str(document), "--out", str(sig)]
    assert main([*argv, "--password-file", str(password_file)]) == 0
    document.write_bytes(b"price: 9,000,000")
    capsys.readouterr()
    assert main(["verify", "--pub", str(public_file), "--sig", str(sig), str(document)]) == 1
    assert "签名无效 / signature INVALID" in capsys.readouterr().out


def test_verify_with_a_missing_signature_file_exits_2(
    tmp_path: Path, public_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "doc"
    document.write_bytes(b"x")
    code = main(
        ["verify", "--pub", str(public_file), "--sig", str(tmp_path / "no.sig"), str(document)]
    )
    assert code == 2
    assert "no.sig" in error_line(capsys)


@pytest.mark.openssl
@requires_openssl
def test_openssl_verifies_a_ggzy_bid_signature_of_a_multi_megabyte_file(
    tmp_path: Path, key_file: Path, public_file: Path, password_file: Path
) -> None:
    document = tmp_path / "tender-bid.bin"
    document.write_bytes(os.urandom(6 * 1024 * 1024 + 5))
    sig = tmp_path / "tender-bid.sig"
    argv = ["sign", "--key", str(key_file), str(document), "--out", str(sig)]
    assert main([*argv, "--password-file", str(password_file)]) == 0
    status, output = openssl_status(
        "pkeyutl", "-verify", "-pubin", "-inkey", public_file, "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-sigfile", sig, "-in", document,
    )  # fmt: skip
    assert status == 0, output


# --- digest and usage ----------------------------------------------------------------------


def test_digest_prints_sm3_like_sha256sum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"abc")
    second.write_bytes(os.urandom(2_000_000))
    assert main(["digest", str(first), str(second)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{sm3_hex(b'abc')}  {first}",
        f"{sm3_hex(second.read_bytes())}  {second}",
    ]


def test_help_documents_the_password_and_profile_environment_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert f"{passwords.ENV_VAR}   password of the private key" in out
    assert f"{submission.PASSWORD_ENV}       login password for `ggzy-bid login`" in out
    assert f"{server.PROFILE_ENV}        saved login to use" in out
    assert "北京时间, UTC+8" in out


def test_a_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


# --- the installed console script -----------------------------------------------------------


@requires_openssl
@pytest.mark.openssl
def test_the_installed_console_script_signs_a_file_openssl_accepts(
    tmp_path: Path, key_file: Path, public_file: Path
) -> None:
    script = Path(sys.executable).parent / "ggzy-bid"
    tools.require(
        script.exists(),
        "ggzy-bid is not installed (make install: uv pip install -e clients/ggzy-bid)",
    )
    document = tmp_path / "bid.bin"
    document.write_bytes(os.urandom(3 * 1024 * 1024))
    sig = tmp_path / "bid.sig"
    env = {**os.environ, passwords.ENV_VAR: PASSWORD}
    result = subprocess.run(
        [script, "sign", "--key", key_file, document, "--out", sig],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "signature written" in result.stdout
    status, output = openssl_status(
        "pkeyutl", "-verify", "-pubin", "-inkey", public_file, "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-sigfile", sig, "-in", document,
    )  # fmt: skip
    assert status == 0, output
    bad = subprocess.run(
        [script, "verify", "--pub", public_file, "--sig", sig, key_file],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "signature INVALID" in bad.stdout
