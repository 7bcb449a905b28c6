from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = _("Experts")

    def ready(self) -> None:
        from experts import (
            receivers,  # noqa: F401  (registers the evaluation's time event)
            workbench,  # its panels on the workbench (accounts/workbench.py)
        )

        workbench.register()
