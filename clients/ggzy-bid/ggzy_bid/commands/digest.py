"""``digest``: SM3 of files, printed like ``sha256sum``."""

from __future__ import annotations

import argparse

from ggzy_core.gm.sm3 import SM3, update_from_stream

from .. import files
from ..errors import EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = subparsers.add_parser(
        "digest",
        help="计算 SM3 摘要 / SM3 digest of files",
        description="Print the SM3 digest of each FILE as 'HEX  FILE', like sha256sum.",
    )
    digest.add_argument("files", nargs="+", metavar="FILE", help="file (- for standard input)")
    digest.set_defaults(handler=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    for path in args.files:
        hasher = SM3()
        with files.open_input(path) as handle:
            update_from_stream(hasher, handle)
        print(f"{hasher.hexdigest()}  {path}")
    return EXIT_OK
