from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "config"
    label = "config"
    verbose_name = "ggzy"

    def ready(self) -> None:
        # Bind shared tasks to our Celery app (its broker), not Celery's default app.
        from config.celery import app  # noqa: F401
