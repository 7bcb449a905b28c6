"""``sign`` and ``verify``: SM2 signatures over whole files, streamed in constant memory.

The SM2 signature hashes Z ‖ M. Feeding Z and then the file chunk by chunk into one SM3
gives the same e as hashing the file in one piece, so the result is an ordinary SM2
signature that ``openssl pkeyutl -verify -rawin -digest sm3`` accepts.
"""

from __future__ import annotations

import argparse

from ggzy_core.gm import sm2
from ggzy_core.gm.errors import InvalidSignature
from ggzy_core.gm.sm3 import update_from_stream

from .. import files
from ..errors import EXIT_INVALID, EXIT_OK
from ..passwords import ENV_VAR


def _distinguishing_id(text: str) -> bytes:
    return text.encode("utf-8")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sign = subparsers.add_parser(
        "sign",
        help="对文件签名 / sign a file (SM2 with SM3, DER signature)",
        description="Sign FILE with an SM2 private key; the DER signature goes to --out.",
    )
    sign.add_argument("file", metavar="FILE", help="file to sign (- for standard input)")
    sign.add_argument("--key", required=True, metavar="KEY.pem", help="SM2 private key")
    sign.add_argument("--out", required=True, metavar="SIG.der", help="signature file to write")
    sign.add_argument("--password-file", metavar="F", help=f"key password file (or ${ENV_VAR})")
    _add_id_option(sign)
    sign.set_defaults(handler=run_sign)

    verify = subparsers.add_parser(
        "verify",
        help="验证签名 / verify a file's signature",
        description=(
            "Verify an SM2 DER signature of FILE. Exit 0 if valid, 1 if invalid, "
            "2 if a file or key cannot be read."
        ),
    )
    verify.add_argument("file", metavar="FILE", help="signed file (- for standard input)")
    verify.add_argument(
        "--pub", required=True, metavar="PUB.pem", help="signer's public key or certificate"
    )
    verify.add_argument("--sig", required=True, metavar="SIG.der", help="DER signature file")
    _add_id_option(verify)
    verify.set_defaults(handler=run_verify)


def _add_id_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--id",
        type=_distinguishing_id,
        default=sm2.DEFAULT_ID,
        metavar="ID",
        help="SM2 distinguishing ID (default: 1234567812345678)",
    )


def _message_digest(public_key: sm2.SM2PublicKey, path: str, distinguishing_id: bytes) -> bytes:
    hasher = public_key.message_hasher(distinguishing_id)
    with files.open_input(path) as handle:
        update_from_stream(hasher, handle)
    return hasher.digest()


def run_sign(args: argparse.Namespace) -> int:
    key = files.load_private_key(args.key, args.password_file)
    digest = _message_digest(key.public_key(), args.file, args.id)
    files.write_bytes(args.out, key.sign_digest(digest))
    print(f"签名已写入 / signature written: {args.out}")
    print(f"签名者公钥指纹 / signer fingerprint: {key.public_key().fingerprint()}")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    public_key = files.load_public_key(args.pub)
    signature = files.read_bytes(args.sig)
    digest = _message_digest(public_key, args.file, args.id)
    try:
        public_key.verify_digest_or_raise(digest, signature)
    except InvalidSignature as exc:
        print(f"签名无效 / signature INVALID ({exc})")
        return EXIT_INVALID
    print("OK 签名有效 / signature valid")
    print(f"签名者公钥指纹 / signer fingerprint: {public_key.fingerprint()}")
    return EXIT_OK
