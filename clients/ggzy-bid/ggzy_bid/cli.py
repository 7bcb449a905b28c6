"""Entry point of ``ggzy-bid``, the bidder's command-line tool.

Subcommands live in :mod:`ggzy_bid.commands`, one module per group. Failures print
one line in Chinese and English on stderr, never a traceback:

* exit 0: done (for ``verify``: the signature is valid);
* exit 1: ``verify`` found the signature invalid (``receipt verify``, ``log monitor``: a proof
  or the log did not check out);
* exit 2: bad usage, unreadable file, wrong or missing password, a key that is not SM2;
* exit 3: not now (the platform's storage is full, a ledger proof is not public yet, the
  network failed): run the same command again later.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ggzy_core.gm.errors import GMError, InvalidKey, MalformedData, NotSM2Key, WrongPassword

from . import output
from .commands import Handler, groups
from .environment import PASSWORD_ENV, PROFILE_ENV
from .errors import EXIT_USAGE, CLIError
from .passwords import ENV_VAR

PROG = "ggzy-bid"

_EPILOG = f"""\
environment:
  {ENV_VAR}   password of the private key, used when --password-file is not given
                      (私钥密码；未指定 --password-file 时使用). Without either, the
                      password is asked on the terminal.
  {PASSWORD_ENV}       login password for `ggzy-bid login` (登录密码); without it the
                      password is asked on the terminal.
  {PROFILE_ENV}        saved login to use, like --profile (使用的已保存登录); `ggzy-bid
                      profiles` lists them.
  GGZY_SERVER, GGZY_TOKEN
                      platform URL and API token, like --server / --token (default
                      profile only).

times are printed in Beijing time (北京时间, UTC+8), as the platform and the opening record.

exit status: 0 success / signature valid, 1 signature invalid (or a proof, or the log: a
rollback, fork or rewrite), 2 usage, file, key or password error, 3 try again later (submit:
the platform's storage is full, it resumes; receipt proof: not public until the deadline).
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or only for ``command``'s group when it names one: a
    run imports just the modules it needs (``seal`` then loads no HTTP client)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="投标人工具：SM2 密钥、签名与 SM3 摘要 / bidder's tool: SM2 keys, "
        "signatures and SM3 digests (OpenSSL 3 compatible)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in groups(command):
        group.register(subparsers)
    return parser


def _describe_gm_error(exc: GMError) -> CLIError:
    # The library's messages are already key-free and name the rule; add the Chinese.
    if isinstance(exc, WrongPassword):
        zh = "私钥已加密，需要密码" if "needed" in str(exc) else "私钥密码错误"
    elif isinstance(exc, NotSM2Key):
        zh = "不是 SM2 密钥"
    elif isinstance(exc, InvalidKey):
        zh = "密钥文件无效"
    elif isinstance(exc, MalformedData):
        zh = "数据格式错误"
    else:
        zh = "密码运算失败"
    return CLIError(zh, str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments[0] if arguments else None)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    try:
        return handler(args)
    except CLIError as exc:
        error = exc
    except GMError as exc:
        error = _describe_gm_error(exc)
    except KeyboardInterrupt:
        output.end_progress()
        print(file=sys.stderr)
        return 130
    output.error(error.line())
    return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
