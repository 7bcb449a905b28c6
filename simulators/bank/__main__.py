"""``python -m simulators.bank --port P --callback-url URL --secret S --collection-account A``

Serves until SIGTERM or Ctrl-C; with ``--state FILE`` the accounts survive a restart.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from decimal import Decimal
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from simulators.bank import callbacks
from simulators.bank.accounts import Books
from simulators.bank.faults import Faults
from simulators.bank.formats import Invalid, amount
from simulators.bank.server import Bank, Server
from simulators.bank.signing import Verifier


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators.bank", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--callback-url", default="", help="the platform's callback URL")
    parser.add_argument(
        "--secret",
        default=os.environ.get("BANK_SECRET"),
        help="the shared HMAC-SM3 secret (default: $BANK_SECRET, which keeps it out of `ps`)",
    )
    parser.add_argument("--collection-account", required=True)
    parser.add_argument("--subaccount-prefix", default="8866")
    parser.add_argument("--opening-balance", default="0.00")
    parser.add_argument("--window", type=int, default=300, help="signature time window (s)")
    parser.add_argument("--callback-attempts", type=int, default=8)
    parser.add_argument("--callback-backoff", type=float, default=0.5)
    parser.add_argument("--state", type=Path, help="a JSON file keeping the accounts")
    options = parser.parse_args(argv)
    if not options.secret:
        parser.error("give --secret or set BANK_SECRET")
    if options.callback_url and urlsplit(options.callback_url).scheme not in ("http", "https"):
        parser.error("--callback-url must be an http(s) URL")
    if options.callback_attempts < 1:
        parser.error("--callback-attempts must be at least 1")
    return options


def build(options: argparse.Namespace) -> Bank:
    try:
        opening = (
            Decimal(0) if Decimal(options.opening_balance) == 0 else amount(options.opening_balance)
        )
    except (Invalid, ArithmeticError) as exc:
        raise SystemExit(f"--opening-balance: {exc}") from exc
    books = Books(
        collection_account=options.collection_account,
        collection_balance=opening,
        subaccount_prefix=options.subaccount_prefix,
        state_file=options.state,
    )
    books.load()
    faults = Faults()
    deliverer = callbacks.Deliverer(
        callbacks.Settings(
            url=options.callback_url,
            secret=options.secret,
            attempts=options.callback_attempts,
            backoff=options.callback_backoff,
        ),
        faults,
    )
    return Bank(books, Verifier(options.secret, options.window), deliverer, faults)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    options = arguments(argv)
    server = Server((options.host, options.port), build(options))

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("simulators.bank").info(
        "bank simulator on http://%s:%d, collection account %s",
        options.host,
        options.port,
        options.collection_account,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
