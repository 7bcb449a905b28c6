from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints to the regulator on statutory clocks [R60, R61]."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from supervision.complaints import (
            workbench,
        )  # its panels on the workbench (accounts/workbench.py)

        workbench.register()
