"""What observability costs, against baselines measured in the same run:

- a request through the whole middleware stack with the observability middleware
  (django-prometheus before/after, the log context) against the same stack without them,
  on the cheapest route (``/api/time``);
- one structured JSON log line (structlog's ProcessorFormatter, redaction included) against
  a plain ``%(message)s`` line of the standard library, both written to memory;
- a /metrics scrape and a /healthz probe against one ``/api/time`` request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ggzy python -m bench.bench_observability
"""

from __future__ import annotations

import io
import logging
import os
import statistics
import time
from collections.abc import Callable

from bench import setup

ROUNDS = 5
REQUESTS = 200
LINES = 20_000
OBSERVABILITY_MIDDLEWARE = {
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "ggzy.observability.context.RequestLogContextMiddleware",
}


def per_call(function: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count


def median_of_rounds(function: Callable[[], object], count: int) -> float:
    return statistics.median(per_call(function, count) for _ in range(ROUNDS))


def requests_with_and_without() -> tuple[float, float]:
    from django.conf import settings
    from django.test import Client, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    with_observability: list[float] = []
    without: list[float] = []
    bare = [m for m in settings.MIDDLEWARE if m not in OBSERVABILITY_MIDDLEWARE]

    def time_request() -> None:
        assert client.get("/api/time").status_code == 200

    for _ in range(ROUNDS):  # alternated, so that machine noise falls on both alike
        with_observability.append(per_call(time_request, REQUESTS))
        with override_settings(MIDDLEWARE=bare):
            without.append(per_call(time_request, REQUESTS))
    return statistics.median(with_observability), statistics.median(without)


def log_lines() -> tuple[float, float]:
    from ggzy.observability import logs

    def writer(formatter: logging.Formatter) -> Callable[[], object]:
        logger = logging.getLogger(f"bench.observability.{id(formatter)}")
        logger.propagate = False
        handler = logging.StreamHandler(io.StringIO())
        handler.setFormatter(formatter)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        return lambda: logger.info("refused %s %s user=%s", 403, "/path", "someone")

    structured = writer(logs.json_formatter())
    plain = writer(logging.Formatter("%(message)s"))
    return median_of_rounds(structured, LINES), median_of_rounds(plain, LINES)


def probes() -> tuple[float, float, float]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    assert client.get("/metrics").status_code == 200
    assert client.get("/healthz").status_code == 200
    scrape = median_of_rounds(lambda: client.get("/metrics"), 20)
    health = median_of_rounds(lambda: client.get("/healthz"), 20)
    time_request = median_of_rounds(lambda: client.get("/api/time"), REQUESTS)
    return scrape, health, time_request


def main() -> None:
    with setup.scratch("obs") as (_work, database):
        # Thousands of anonymous reads a second: the anonymous throttle would answer 429.
        os.environ["API_ANON_RATE"] = "1000000/minute"
        setup.django_setup()
        with_obs, without = requests_with_and_without()
        structured, plain = log_lines()
        scrape, health, time_request = probes()
        print(f"database: {database}")
        print(
            f"request /api/time: {with_obs * 1e6:.0f} µs with observability, "
            f"{without * 1e6:.0f} µs without: {with_obs / without:.2f}×"
        )
        print(
            f"log line: {structured * 1e6:.1f} µs structured JSON, {plain * 1e6:.1f} µs plain: "
            f"{structured / plain:.1f}×"
        )
        print(
            f"/metrics scrape: {scrape * 1e3:.2f} ms ({scrape / time_request:.1f}× one "
            f"/api/time request); /healthz: {health * 1e3:.2f} ms "
            f"({health / time_request:.1f}×)"
        )
        setup.close_connections()


if __name__ == "__main__":
    main()
