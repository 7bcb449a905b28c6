"""``keygen`` and ``pubkey``: the bidder's SM2 key pair."""

from __future__ import annotations

import argparse
import sys

from ggzy_core.gm import sm2

from .. import files
from ..errors import EXIT_OK
from ..passwords import ENV_VAR, new_password

_PUBLIC_MARKERS = (b"-----BEGIN PUBLIC KEY-----", b"-----BEGIN CERTIFICATE-----")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keygen = subparsers.add_parser(
        "keygen",
        help="生成 SM2 私钥 / generate an SM2 private key",
        description=(
            "Generate an SM2 private key as PKCS#8 PEM, encrypted with a password "
            "(PBKDF2-HMAC-SHA256 + AES-256-CBC) unless --no-password. The file is created "
            f"with mode 0600. The password comes from --password-file, else ${ENV_VAR}, "
            "else it is asked twice."
        ),
    )
    keygen.add_argument("--out", required=True, metavar="KEY.pem", help="private key file to write")
    source = keygen.add_mutually_exclusive_group()
    source.add_argument(
        "--password-file", metavar="F", help="read the password from F's first line"
    )
    source.add_argument(
        "--no-password", action="store_true", help="write the key unencrypted (not recommended)"
    )
    keygen.add_argument("--force", action="store_true", help="replace an existing file")
    keygen.set_defaults(handler=run_keygen)

    pubkey = subparsers.add_parser(
        "pubkey",
        help="导出公钥 / export the public key (SubjectPublicKeyInfo PEM)",
        description="Print or write the SubjectPublicKeyInfo PEM of a private key or certificate.",
    )
    pubkey.add_argument("key", metavar="KEY.pem", help="private key (or certificate) file")
    pubkey.add_argument("--out", metavar="PUB.pem", help="write here instead of standard output")
    pubkey.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    pubkey.add_argument("--force", action="store_true", help="replace an existing --out file")
    pubkey.set_defaults(handler=run_pubkey)


def run_keygen(args: argparse.Namespace) -> int:
    files.refuse_existing(args.out, force=args.force)
    password = None if args.no_password else new_password(args.password_file)
    key = sm2.generate_private_key()
    files.write_bytes(args.out, key.to_pem(password), private=True, force=args.force)
    fingerprint = key.public_key().fingerprint()
    state = "已加密 / encrypted" if password else "未加密 / NOT encrypted"
    print(f"私钥已写入 / private key written: {args.out} ({state})")
    print(f"公钥指纹 / public key fingerprint: {fingerprint}")
    return EXIT_OK


def run_pubkey(args: argparse.Namespace) -> int:
    data = files.read_bytes(args.key)
    if any(marker in data for marker in _PUBLIC_MARKERS):
        public_key = sm2.load_public_key(data)
    else:
        public_key = files.load_private_key(args.key, args.password_file).public_key()
    pem = public_key.to_pem()
    fingerprint = public_key.fingerprint()
    if args.out:
        files.write_bytes(args.out, pem, force=args.force)
        print(f"公钥已写入 / public key written: {args.out}")
        print(f"公钥指纹 / public key fingerprint: {fingerprint}")
    else:
        sys.stdout.write(pem.decode("ascii"))
        print(f"公钥指纹 / public key fingerprint: {fingerprint}", file=sys.stderr)
    return EXIT_OK
