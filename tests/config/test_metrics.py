"""/metrics: this process's Prometheus registry, served only to the monitoring network or
with the bearer token; platform-wide gauges read at scrape time, nothing per section or
bidder; the Celery queue depth read from the real Redis broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Organisation, Person
from bidding.models import Upload, UploadState
from deposits import books
from deposits.models import Refund, RefundReason, RefundStatus
from ggzy import clock
from ggzy.observability import context, metrics
from realtime.models import Hall, HallStage
from tests.deposits.conftest import section  # noqa: F401
from tests.trading.conftest import (  # noqa: F401
    bidding,
    draft,
    holders,
    project,
    published,
    tenderee,
)
from trading.models import Section

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL", "")
TOKEN = "t" * 40


def scrape(client: Client | None = None, **headers: Any) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    return response.content.decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


def test_it_serves_the_registry_to_loopback() -> None:
    text = scrape()  # the test client's address is 127.0.0.1
    assert value(text, "ggzy_collector_up", collector="platform") == 1
    assert "django_http_requests_total_by_method_total" in text
    assert "process_resident_memory_bytes" in text or "python_info" in text


def test_it_refuses_an_outside_address_with_a_bilingual_reason() -> None:
    response = Client(REMOTE_ADDR="192.0.2.10").get("/metrics")
    assert response.status_code == 403
    body = response.content.decode()
    assert "监控网络" in body and "METRICS_TOKEN" in body and "monitoring network" in body
    assert "ggzy_" not in body


def test_it_refuses_a_forwarded_request_when_no_proxy_is_trusted(settings: Any) -> None:
    """nginx on the same host makes every public request come from loopback."""
    settings.AXES_IPWARE_PROXY_COUNT = 0
    response = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 403


def test_it_judges_a_proxied_request_by_the_address_the_trusted_proxy_saw(
    settings: Any,
) -> None:
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="10.0.0.2")
    # A client claiming loopback through nginx: nginx appends the real address.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200


def test_it_serves_anyone_with_the_bearer_token_and_nobody_with_a_wrong_one(
    settings: Any,
) -> None:
    settings.METRICS_TOKEN = TOKEN
    outside = Client(REMOTE_ADDR="192.0.2.10")
    assert outside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert outside.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}x").status_code == 403
    assert outside.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


def test_a_logged_in_superuser_from_outside_is_refused_too(staff: Person) -> None:
    """Metrics are for the monitoring system, not for a browser session."""
    staff.is_superuser = True
    staff.save()
    client = Client(REMOTE_ADDR="192.0.2.10")
    client.force_login(staff)
    assert client.get("/metrics").status_code == 403


def test_it_counts_halls_by_stage_platform_wide(section: Section) -> None:  # noqa: F811
    hall, _ = Hall.objects.get_or_create(
        section=section, defaults={"stage_started_at": clock.now()}
    )
    assert hall.stage != HallStage.DECRYPTION
    before = scrape()
    Hall.objects.filter(pk=hall.pk).update(stage=HallStage.DECRYPTION)
    after = scrape()
    assert value(after, "ggzy_halls", stage="decryption") == (
        value(before, "ggzy_halls", stage="decryption") + 1
    )
    assert value(after, "ggzy_halls", stage=hall.stage) == (
        value(before, "ggzy_halls", stage=hall.stage) - 1
    )


def organisation_of(person: Person) -> Organisation:
    assert person.organisation is not None
    return person.organisation


def test_it_counts_unfinished_uploads_and_never_names_a_section_or_bidder(
    section: Section,  # noqa: F811
    owner: Person,
) -> None:
    before = value(scrape(), "ggzy_uploads_in_progress")
    upload = Upload.objects.create(
        section=section,
        organisation=organisation_of(owner),
        person=owner,
        idempotency_key="k1",
        length=1024,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    text = scrape()
    assert value(text, "ggzy_uploads_in_progress") == before + 1
    for secret in (section.code, organisation_of(owner).name, owner.username, str(upload.pk)):
        assert secret not in text
    Upload.objects.filter(pk=upload.pk).update(state=UploadState.COMPLETE)
    assert value(scrape(), "ggzy_uploads_in_progress") == before


def test_no_label_of_any_metric_names_a_section_or_an_organisation(
    section: Section,  # noqa: F811
    owner: Person,
) -> None:
    Client().get(f"/sections/{section.code}/")  # a request whose view takes the code
    for (_name, labels), _value in samples(scrape()).items():
        for _key, label in labels:
            assert section.code not in label and organisation_of(owner).name not in label


def a_refund(section: Section, person: Person, due_by: dt.date) -> Refund:  # noqa: F811
    return Refund.objects.create(
        reason=RefundReason.WITHDRAWN,
        account=books.deposit_account(section, organisation_of(person)),
        section=section,
        payee=organisation_of(person),
        to_account="6222000000000001",
        principal=Decimal("1000.00"),
        decided_at=clock.now(),
        due_by=due_by,
    )


def test_it_counts_refunds_due_and_overdue_by_deposits_own_due_day(
    section: Section,  # noqa: F811
    owner: Person,
) -> None:
    today = clock.now().date()
    a_refund(section, owner, today + dt.timedelta(days=3))
    a_refund(section, owner, today - dt.timedelta(days=2))
    paid = a_refund(section, owner, today - dt.timedelta(days=9))
    Refund.objects.filter(pk=paid.pk).update(status=RefundStatus.PAID)
    text = scrape()
    assert value(text, "ggzy_refunds_due") == 1
    assert value(text, "ggzy_refunds_overdue") == 1


def test_it_counts_database_statements_under_django_prometheus_names() -> None:
    label = {"alias": "default", "vendor": connection.vendor}
    before = value(scrape(), "django_db_execute_total", **label)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert value(scrape(), "django_db_execute_total", **label) > before


@pytest.fixture
def broker(settings: Any) -> Iterator[redis.Redis]:
    if not REDIS_URL:
        pytest.skip("needs REDIS_URL: the queue depth is read from the real Redis broker")
    # This test process's own Redis database (config/settings.py gives each xdist worker
    # one): the environment's names another worker's, whose processes may empty it.
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    client = redis.Redis.from_url(settings.REDIS_URL)
    queue = f"obs-test-{uuid.uuid4().hex}"
    settings.METRICS_CELERY_QUEUES = ["celery", queue]
    yield client
    client.delete(queue, f"{queue}\x06\x163", f"{queue}\x06\x169")


def test_it_reads_the_celery_queue_depth_from_redis_at_every_priority(
    broker: redis.Redis, settings: Any
) -> None:
    queue = settings.METRICS_CELERY_QUEUES[1]
    broker.rpush(queue, "a", "b")
    broker.rpush(f"{queue}\x06\x163", "c")
    broker.rpush(f"{queue}\x06\x169", "d")
    assert value(scrape(), "ggzy_celery_queue_depth", queue=queue) == 4
    broker.lpop(queue)
    assert value(scrape(), "ggzy_celery_queue_depth", queue=queue) == 3


def test_with_the_embedded_broker_there_is_no_queue_depth_and_the_scrape_still_works(
    settings: Any,
) -> None:
    settings.CELERY_BROKER_URL = "filesystem://localhost//"
    text = scrape()
    assert "ggzy_celery_queue_depth" not in text
    assert value(text, "ggzy_collector_up", collector="celery_queues") == 1


def test_a_failing_collector_costs_only_its_own_families() -> None:
    class Broken:
        def collect(self) -> Iterator[GaugeMetricFamily]:
            raise ConnectionError("redis down")

    collectors = metrics.ScrapeTimeCollectors()
    collectors.add("broken", Broken())
    collectors.add("fine", FixedCollector())
    registry = CollectorRegistry()
    registry.register(collectors)
    families = {m.name: m for m in registry.collect()}
    up = {s.labels["collector"]: s.value for s in families["ggzy_collector_up"].samples}
    assert up == {"broken": 0, "fine": 1}
    assert families["fixed"].samples[0].value == 7


class FixedCollector:
    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("fixed", "A fixed value.", value=7)


def test_each_family_appears_once_in_the_exposition() -> None:
    names = [line.split()[2] for line in scrape().splitlines() if line.startswith("# TYPE ")]
    assert sorted(names) == sorted(set(names))


def test_the_websocket_gauge_counts_accepted_connections_until_they_end() -> None:
    seen_inside: list[float] = []

    async def consumer(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})
        seen_inside.append(metrics.WEBSOCKET_CONNECTIONS._value.get())
        raise ConnectionResetError  # however it ends, the gauge comes down

    async def refused(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.close"})

    async def nothing() -> dict[str, Any]:
        return {}

    async def sink(message: dict[str, Any]) -> None:
        return None

    before = metrics.WEBSOCKET_CONNECTIONS._value.get()
    with pytest.raises(ConnectionResetError):
        asyncio.run(context.WebsocketLogContext(consumer)({"type": "websocket"}, nothing, sink))
    asyncio.run(context.WebsocketLogContext(refused)({"type": "websocket"}, nothing, sink))
    assert seen_inside == [before + 1]
    assert metrics.WEBSOCKET_CONNECTIONS._value.get() == before
