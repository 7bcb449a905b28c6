from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    """Collusion and anomaly alerts with their case workflow (the regulator's side)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision.alerts"
    label = "alerts"
    verbose_name = _("Supervision alerts")

    def ready(self) -> None:
        from supervision.alerts import (
            receivers,  # noqa: F401  (runs the rules on events)
            workbench,
        )  # its panels on the workbench (accounts/workbench.py)

        workbench.register()
