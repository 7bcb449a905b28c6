"""``python -m simulators.issuer --port P [--credit-code C] [--platform-key PEM]``

Serves until SIGTERM or Ctrl-C. The key is new at every start: register it with the
platform (``manage.py register_issuer --public-key``, from ``GET /key``) before issuing.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from ggzy_core.credit_code import check_character, is_valid
from simulators.issuer.server import Issuer, Server

DEFAULT_CREDIT_CODE = "91110000MA01GUAR0" + check_character("91110000MA01GUAR0")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators.issuer", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--credit-code", default=DEFAULT_CREDIT_CODE, help="the issuer's own")
    parser.add_argument(
        "--platform-key",
        type=Path,
        action="append",
        default=[],
        help="a platform public key PEM that claims are verified with (else the key of the "
        "first platform it submits to)",
    )
    options = parser.parse_args(argv)
    if not is_valid(options.credit_code):
        parser.error("--credit-code is not a valid unified social credit code")
    return options


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    options = arguments(argv)
    issuer = Issuer(credit_code=options.credit_code)
    for path in options.platform_key:
        issuer.trust(path.read_bytes())
    server = Server((options.host, options.port), issuer)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger("simulators.issuer").info(
        "issuer simulator %s on http://%s:%d, key %s",
        options.credit_code,
        options.host,
        options.port,
        issuer.key.public_key().fingerprint(),
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
