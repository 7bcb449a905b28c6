from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "开标大厅 Opening hall"

    def ready(self) -> None:
        from realtime import receivers  # noqa: F401  (follows section status changes)
