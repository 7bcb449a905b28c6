"""Interoperability with the ``openssl`` command (OpenSSL 3), in both directions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ggzy_core.gm import sm2
from ggzy_core.gm.errors import WrongPassword
from ggzy_core.gm.sm3 import sm3_hex

from .helpers import (
    FAST_ITERATIONS,
    key_with_x_hex_prefix,
    openssl,
    openssl_status,
    requires_openssl,
)

pytestmark = [pytest.mark.openssl, requires_openssl]

DISTID = "distid:1234567812345678"


@pytest.fixture
def openssl_key(tmp_path: Path) -> Path:
    path = tmp_path / "openssl-key.pem"
    openssl("genpkey", "-algorithm", "SM2", "-out", path)
    openssl("pkey", "-in", path, "-pubout", "-out", tmp_path / "openssl-pub.pem")
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _openssl_verify(pub: Path, sig: Path, msg: Path) -> tuple[int, str]:
    return openssl_status(
        "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-sigfile", sig, "-in", msg,
    )  # fmt: skip


# --- signatures ----------------------------------------------------------------------------


def test_openssl_verifies_our_signature(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    pub = _write(tmp_path / "pub.pem", key.public_key().to_pem())
    msg = _write(tmp_path / "msg", b"opening record of section 3")
    sig = _write(tmp_path / "sig.der", key.sign(msg.read_bytes()))
    status, output = _openssl_verify(pub, sig, msg)
    assert status == 0, output
    assert "Signature Verified Successfully" in output


def test_openssl_rejects_our_signature_of_another_message(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    pub = _write(tmp_path / "pub.pem", key.public_key().to_pem())
    msg = _write(tmp_path / "msg", b"the real message")
    sig = _write(tmp_path / "sig.der", key.sign(b"another message"))
    status, _ = _openssl_verify(pub, sig, msg)
    assert status != 0


def test_openssl_dgst_verifies_our_streamed_signature_of_a_large_file(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    data = os.urandom(4 * 1024 * 1024 + 3)
    msg = _write(tmp_path / "big.bin", data)
    hasher = key.public_key().message_hasher()
    with msg.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    sig = _write(tmp_path / "sig.der", key.sign_digest(hasher.digest()))
    pub = _write(tmp_path / "pub.pem", key.public_key().to_pem())
    output = openssl(
        "dgst", "-sm3", "-verify", pub, "-signature", sig, "-sigopt", DISTID, msg
    ).decode()
    assert "Verified OK" in output


def test_we_verify_openssls_signature(tmp_path: Path, openssl_key: Path) -> None:
    msg = _write(tmp_path / "msg", b"bid receipt 42")
    sig = tmp_path / "sig.der"
    openssl(
        "pkeyutl", "-sign", "-inkey", openssl_key, "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-in", msg, "-out", sig,
    )  # fmt: skip
    public = sm2.load_public_key((tmp_path / "openssl-pub.pem").read_bytes())
    assert public.verify(b"bid receipt 42", sig.read_bytes())
    assert not public.verify(b"bid receipt 43", sig.read_bytes())


@pytest.mark.parametrize("prefix", ["04", "0", "4"])
def test_keys_whose_x_starts_with_0_or_4_interoperate(tmp_path: Path, prefix: str) -> None:
    key = key_with_x_hex_prefix(prefix)
    key_file = _write(tmp_path / "key.pem", key.to_pem())
    pub = _write(tmp_path / "pub.pem", key.public_key().to_pem())
    msg = _write(tmp_path / "msg", b"lstrip regression")
    assert openssl("pkey", "-in", key_file, "-pubout") == key.public_key().to_pem()
    sig = _write(tmp_path / "sig.der", key.sign(b"lstrip regression"))
    assert _openssl_verify(pub, sig, msg)[0] == 0
    theirs = tmp_path / "theirs.der"
    openssl(
        "pkeyutl", "-sign", "-inkey", key_file, "-rawin", "-digest", "sm3",
        "-pkeyopt", DISTID, "-in", msg, "-out", theirs,
    )  # fmt: skip
    assert key.public_key().verify(b"lstrip regression", theirs.read_bytes())


# --- encryption ----------------------------------------------------------------------------


def test_we_decrypt_what_openssl_encrypted(tmp_path: Path, openssl_key: Path) -> None:
    msg = _write(tmp_path / "msg", b"SM4 content key!")
    ct = tmp_path / "ct.der"
    openssl(
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        tmp_path / "openssl-pub.pem",
        "-in",
        msg,
        "-out",
        ct,
    )
    key = sm2.load_private_key(openssl_key.read_bytes())
    assert key.decrypt(ct.read_bytes()) == b"SM4 content key!"


def test_openssl_decrypts_what_we_encrypted(tmp_path: Path, openssl_key: Path) -> None:
    public = sm2.load_public_key((tmp_path / "openssl-pub.pem").read_bytes())
    ct = _write(tmp_path / "ct.der", public.encrypt(b"wrapped content key"))
    assert (
        openssl("pkeyutl", "-decrypt", "-inkey", openssl_key, "-in", ct) == b"wrapped content key"
    )


# --- keys ----------------------------------------------------------------------------------


def test_our_pkcs8_is_byte_identical_to_openssls(openssl_key: Path) -> None:
    pem = openssl_key.read_bytes()
    assert sm2.load_private_key(pem).to_pem() == pem


def test_openssl_reads_our_private_and_public_keys(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    key_file = _write(tmp_path / "key.pem", key.to_pem())
    assert openssl("pkey", "-in", key_file, "-pubout") == key.public_key().to_pem()
    text = openssl("pkey", "-in", key_file, "-noout", "-text").decode()
    assert "SM2" in text
    pub = _write(tmp_path / "pub.pem", key.public_key().to_pem())
    assert openssl("pkey", "-pubin", "-in", pub, "-pubout") == key.public_key().to_pem()


def test_openssl_opens_our_encrypted_key_with_the_password(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    key_file = _write(tmp_path / "key.pem", key.to_pem(b"s3cret-pass", iterations=FAST_ITERATIONS))
    out = openssl("pkey", "-in", key_file, "-passin", "pass:s3cret-pass")
    assert out == key.to_pem()
    status, _ = openssl_status("pkey", "-in", key_file, "-passin", "pass:wrong")
    assert status != 0


def test_openssl_opens_our_encrypted_key_with_the_default_iterations(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    key_file = _write(tmp_path / "key.pem", key.to_pem(b"s3cret-pass"))
    assert openssl("pkey", "-in", key_file, "-passin", "pass:s3cret-pass") == key.to_pem()


@pytest.mark.parametrize(
    "encrypt_args",
    [
        ("genpkey", "-aes256"),
        ("pkcs8", "-v2", "sm4-cbc", "-v2prf", "hmacWithSHA256"),
        ("pkcs8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"),
    ],
    ids=["genpkey-aes256", "pkcs8-sm4-cbc", "pkcs8-aes128-sha1"],
)
def test_we_open_openssls_encrypted_keys(
    tmp_path: Path, openssl_key: Path, encrypt_args: tuple[str, ...]
) -> None:
    out = tmp_path / "enc.pem"
    if encrypt_args[0] == "genpkey":
        openssl("genpkey", "-algorithm", "SM2", *encrypt_args[1:], "-pass", "pass:pw", "-out", out)
        expected = sm2.load_public_key(openssl("pkey", "-in", out, "-passin", "pass:pw", "-pubout"))
    else:
        openssl(
            "pkcs8",
            "-topk8",
            *encrypt_args[1:],
            "-in",
            openssl_key,
            "-passout",
            "pass:pw",
            "-out",
            out,
        )
        expected = sm2.load_private_key(openssl_key.read_bytes()).public_key()
    assert out.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert sm2.load_private_key(out.read_bytes(), b"pw").public_key() == expected
    with pytest.raises(WrongPassword, match="wrong password"):
        sm2.load_private_key(out.read_bytes(), b"not-pw")


# --- certificates --------------------------------------------------------------------------


def test_a_certificate_yields_the_same_fingerprint_as_the_bare_public_key(
    tmp_path: Path, openssl_key: Path
) -> None:
    cert = tmp_path / "cert.pem"
    openssl(
        "req", "-x509", "-new", "-key", openssl_key, "-sm3", "-sigopt", DISTID,
        "-subj", "/CN=江南建工集团有限公司/O=ggzy test", "-days", "30", "-out", cert,
    )  # fmt: skip
    bare = sm2.load_public_key((tmp_path / "openssl-pub.pem").read_bytes())
    from_cert = sm2.load_public_key_from_certificate(cert.read_bytes())
    assert from_cert == bare
    assert from_cert.fingerprint() == bare.fingerprint()
    assert sm2.load_public_key(cert.read_bytes()).fingerprint() == bare.fingerprint()
    der = openssl("x509", "-in", cert, "-outform", "DER")
    assert sm2.load_public_key_from_certificate(der).fingerprint() == bare.fingerprint()


# --- hashing -------------------------------------------------------------------------------


def test_our_sm3_matches_openssl_dgst(tmp_path: Path) -> None:
    data = os.urandom(1_000_003)
    path = _write(tmp_path / "data", data)
    output = openssl("dgst", "-sm3", "-r", path).decode()
    assert output.split()[0] == sm3_hex(data)
