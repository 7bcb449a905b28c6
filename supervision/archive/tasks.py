"""The archive's task: thin and idempotent (the service does the work)."""

from __future__ import annotations

from celery import shared_task

from supervision.archive import services


@shared_task(
    name="archive.tasks.seal_archive",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def seal_archive(section_id: int, actor_id: int | None = None) -> str:
    return services.archive_store(section_id=section_id, actor_id=actor_id)
