"""Prometheus metrics: django-prometheus' request and database metrics, this process's open
websockets, the Celery queue depth read at scrape time, and the /metrics endpoint.

Each daphne process serves its own registry (no multiprocess directory): Prometheus
scrapes every process, and the gauges read from the database or Redis at scrape time are
platform-wide, so each process reports the same value for them (docs/operations.md).

Leak rule (docs/decisions.md): no metric is labelled by section, bidder, organisation or
person; what counts platform-wide activity (uploads in progress, request counts by view)
is served only on this protected endpoint, never on a public page.

The domain gauges that need app models (halls by stage, uploads, refunds) are collected in
``config/observability.py``, which registers them with :func:`register_collector`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.views import View
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ggzy.http import client_address

log = logging.getLogger(__name__)

# Call these from a consumer only if it is not behind context.WebsocketLogContext (which
# calls them itself when the connection is accepted and when it ends).
WEBSOCKET_CONNECTIONS = Gauge(
    "ggzy_websocket_connections_open",
    "Websocket connections open in this process (the hall, evaluations).",
)


def websocket_connected() -> None:
    WEBSOCKET_CONNECTIONS.inc()


def websocket_disconnected() -> None:
    WEBSOCKET_CONNECTIONS.dec()


# --- Database: django-prometheus' metrics without its database engines ------------------
def _count_statement(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    from django_prometheus.db import metrics as db

    connection = context["connection"]
    labels = (connection.alias, connection.vendor)
    db.execute_total.labels(*labels).inc(len(params) if many and params else 1)
    if many:
        db.execute_many_total.labels(*labels).inc(len(params) if params else 0)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        db.errors_total.labels(*labels, type(error).__name__).inc()
        raise
    finally:
        db.query_duration_seconds.labels(*labels).observe(time.perf_counter() - started)


def _instrument_connection(sender: Any, connection: Any, **_: Any) -> None:
    from django_prometheus.db import metrics as db

    db.connections_total.labels(connection.alias, connection.vendor).inc()
    if _count_statement not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_statement)


def install_database_metrics() -> None:
    """Statement counts, errors, durations and new connections under django-prometheus'
    names, through an execute wrapper: the database engine stays Django's own. Connections
    this thread opened before are instrumented now, later ones as they open."""
    connection_created.connect(
        _instrument_connection, weak=False, dispatch_uid="ggzy.observability.database"
    )
    for opened in connections.all(initialized_only=True):
        if _count_statement not in opened.execute_wrappers:
            opened.execute_wrappers.append(_count_statement)


# --- Celery queue depth -----------------------------------------------------------------
_PRIORITY_SEPARATOR = "\x06\x16"  # kombu's Redis transport: "<queue>\x06\x16<priority>"
_PRIORITY_STEPS = (0, 3, 6, 9)
_redis_clients: dict[str, Any] = {}


def _queue_keys(queue: str) -> list[str]:
    return [
        queue if step == 0 else f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS
    ]


def celery_queue_depths(broker_url: str, queues: Iterable[str]) -> dict[str, int] | None:
    """Messages waiting in each queue (all priorities), or None when the broker is not Redis
    (the embedded filesystem broker has no cheap count)."""
    if urlsplit(broker_url).scheme not in {"redis", "rediss"}:
        return None
    import redis

    client = _redis_clients.get(broker_url)
    if client is None:
        timeout = float(getattr(settings, "METRICS_REDIS_TIMEOUT_SECONDS", 0.5))
        client = redis.Redis.from_url(
            broker_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        _redis_clients[broker_url] = client
    pipe = client.pipeline(transaction=False)
    names = list(queues)
    for name in names:
        for key in _queue_keys(name):
            pipe.llen(key)
    sizes = pipe.execute()
    steps = len(_PRIORITY_STEPS)
    return {name: sum(sizes[i * steps : (i + 1) * steps]) for i, name in enumerate(names)}


class CeleryQueueDepthCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        queues = getattr(settings, "METRICS_CELERY_QUEUES", ["celery"])
        depths = celery_queue_depths(settings.CELERY_BROKER_URL, queues)
        if depths is None:
            return
        family = GaugeMetricFamily(
            "ggzy_celery_queue_depth", "Messages waiting in the Celery queue.", labels=["queue"]
        )
        for queue, depth in depths.items():
            family.add_metric([queue], depth)
        yield family


class ScrapeTimeCollectors(Collector):
    """The collectors run at scrape time. One failing (the database or Redis is down) costs
    its own families, not the whole scrape, and shows as ``ggzy_collector_up{collector} 0``
    (one family for all of them: a name may appear only once in an exposition)."""

    def __init__(self) -> None:
        self.collectors: dict[str, Collector] = {}

    def add(self, name: str, collector: Collector) -> None:
        self.collectors[name] = collector

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "ggzy_collector_up",
            "1 when the scrape-time collector answered, 0 when it failed.",
            labels=["collector"],
        )
        for name, collector in list(self.collectors.items()):
            try:
                families = list(collector.collect())
            except Exception as error:
                log.warning("metrics collector %s failed: %s", name, type(error).__name__)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up

    def describe(self) -> list[Metric]:
        return []  # collected at scrape time only: never run at registration


SCRAPE_TIME = ScrapeTimeCollectors()
REGISTRY.register(SCRAPE_TIME)


def register_collector(name: str, collector: Collector) -> None:
    """Adds a scrape-time collector to this process's registry (again: replaces it)."""
    SCRAPE_TIME.add(name, collector)


# --- The endpoint ------------------------------------------------------------------------
REFUSAL = (
    "指标仅对监控网络或持有令牌者开放：请从 METRICS_ALLOWED_NETWORKS 中的地址抓取，或发送 "
    "Authorization: Bearer <METRICS_TOKEN>。 / Metrics are served only to the monitoring "
    "network or with the token: scrape from an address in METRICS_ALLOWED_NETWORKS, or send "
    "Authorization: Bearer <METRICS_TOKEN>.\n"
)


def _bearer_token_matches(request: HttpRequest) -> bool:
    expected = str(getattr(settings, "METRICS_TOKEN", ""))
    if not expected:
        return False
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


def _judged_address(meta: dict[str, Any]) -> str | None:
    """Whose request it is. Through a proxy (nginx on this host makes every public request
    come from loopback) only the address our trusted proxies saw counts; with no trusted
    proxy configured a forwarded request cannot be judged by its address at all."""
    if meta.get("HTTP_X_FORWARDED_FOR"):
        if not getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0):
            return None
        return client_address(meta)
    address = meta.get("REMOTE_ADDR")
    return str(address) if address else None


def _address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    networks = getattr(settings, "METRICS_ALLOWED_NETWORKS", [])
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def metrics_access_allowed(request: HttpRequest) -> bool:
    return _bearer_token_matches(request) or _address_allowed(_judged_address(request.META))


class MetricsView(View):
    """GET /metrics: this process's registry in the Prometheus text format."""

    registry: CollectorRegistry = REGISTRY

    def get(self, request: HttpRequest) -> HttpResponse:
        if not metrics_access_allowed(request):
            return HttpResponse(REFUSAL, status=403, content_type="text/plain; charset=utf-8")
        return HttpResponse(
            generate_latest(self.registry), content_type="text/plain; version=0.0.4; charset=utf-8"
        )
