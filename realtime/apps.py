from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = _("Opening halls")

    def ready(self) -> None:
        from realtime import (
            receivers,  # noqa: F401  (follows section status changes)
            workbench,  # its panels on the workbench (accounts/workbench.py)
        )

        workbench.register()
