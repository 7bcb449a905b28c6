"""The container health check of a daphne process: ``GET /healthz`` on its own port.

Standard library only, and no Django: it runs every 30 s in every daphne container, and
starting Django for it would cost more than the check. Exit 0 when the endpoint answers 200,
1 otherwise (Docker's contract), with the reason on stderr for ``docker inspect``.

The request looks like one nginx forwards: a Host the site accepts (the first entry of
``ALLOWED_HOSTS``) and ``X-Forwarded-Proto: https`` — otherwise Django's host check (400)
or its HTTPS redirect (301) would answer instead of the endpoint.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"
TIMEOUT_SECONDS = 4.0


def host_header(allowed_hosts: str) -> str:
    """The first concrete name in a comma-separated ``ALLOWED_HOSTS`` ("localhost" if none)."""
    for entry in allowed_hosts.split(","):
        name = entry.strip().lstrip(".")
        if name and name != "*":
            return name
    return "localhost"


def check(url: str, *, host: str) -> str | None:
    """None when healthy, else why not."""
    request = urllib.request.Request(  # noqa: S310 # a fixed http URL on loopback
        url, headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except (OSError, ValueError) as error:
        return f"{url} did not answer: {error}"
    return None if status == 200 else f"{url} answered {status}"


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    problem = check(url, host=host_header(os.environ.get("ALLOWED_HOSTS", "")))
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
