from django.apps import AppConfig


class GgzyConfig(AppConfig):
    name = "ggzy"
    verbose_name = "ggzy"

    def ready(self) -> None:
        # Bind shared tasks to our Celery app (its broker), not Celery's default app.
        from ggzy.celery import app  # noqa: F401
