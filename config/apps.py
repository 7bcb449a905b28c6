from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "config"
    label = "config"
    verbose_name = "ggzy"

    def ready(self) -> None:
        # Bind shared tasks to our Celery app (its broker), not Celery's default app.
        # This process's /metrics: database statements and the scrape-time collectors, from
        # the first connection on (idempotent).
        from config import observability
        from config.celery import app  # noqa: F401

        observability.install()
