from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "监督 Supervision"

    def ready(self) -> None:
        from supervision import receivers  # noqa: F401  (ledgers admin changes)
