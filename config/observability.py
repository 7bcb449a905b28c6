"""The metrics that need the apps' models, collected at scrape time (one cheap query each),
and the one call that installs every collector in this process.

All platform-wide, nothing per section, bidder or person (the leak rule of
ggzy/observability/metrics.py):

- ``ggzy_halls{stage}``: opening halls by stage. A hall exists from the deadline on, so
  neither its existence nor its stage says anything about bids before a deadline.
- ``ggzy_uploads_in_progress``: resumable bid uploads not yet finished, all sections
  together: served only on the protected /metrics (docs/decisions.md).
- ``ggzy_refunds_due`` / ``ggzy_refunds_overdue``: unpaid deposit refunds within and past
  their due day [R35, R57]. The due day is the one deposits decided (``Refund.due_by``,
  PRC working days); "overdue" is deposits' own comparison with deposits' today.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bidding.models import Upload, UploadState
from deposits import refunds
from deposits.models import Refund, RefundStatus
from ggzy.observability import metrics
from realtime.models import Hall, HallStage


class PlatformCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        halls = GaugeMetricFamily(
            "ggzy_halls", "Opening halls by stage, platform-wide.", labels=["stage"]
        )
        by_stage = dict(Hall.objects.order_by().values_list("stage").annotate(count=Count("pk")))
        for stage in HallStage.values:
            halls.add_metric([stage], by_stage.get(stage, 0))
        yield halls

        yield GaugeMetricFamily(
            "ggzy_uploads_in_progress",
            "Resumable bid uploads not yet finished, all sections together.",
            value=Upload.objects.filter(state=UploadState.OPEN).count(),
        )

        # [R57] refunds within 5 working days: due_by was fixed when the refund was decided.
        unpaid = Refund.objects.exclude(status=RefundStatus.PAID)
        overdue = unpaid.filter(due_by__lt=refunds.today()).count()
        yield GaugeMetricFamily(
            "ggzy_refunds_due",
            "Deposit refunds decided and unpaid, not yet past their due day [R57].",
            value=unpaid.count() - overdue,
        )
        yield GaugeMetricFamily(
            "ggzy_refunds_overdue",
            "Deposit refunds unpaid after their due day [R35, R57]: a legal breach.",
            value=overdue,
        )


def install() -> None:
    """Every metric of this process: database statements and the scrape-time collectors.
    Idempotent (config/apps.py calls it when Django is ready)."""
    metrics.install_database_metrics()
    metrics.register_collector("platform", PlatformCollector())
    metrics.register_collector("celery_queues", metrics.CeleryQueueDepthCollector())
